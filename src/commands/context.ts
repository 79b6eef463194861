/** What the commands' text renderings share: a host that could not be asked, each host's lines. */
import type { HostFailureResult, HostResult } from "../docker/fanout.js";
import { joinLines } from "../format.js";

/** The text lines of a host that could not be asked. */
export function failureLines(r: HostFailureResult): string[] {
  return [
    `${r.host}: unavailable: ${r.error.replace(`${r.host}: `, "")}`,
    ...(r.hint ? [`  ${r.hint}`] : []),
  ];
}

/** Renders each host's result with `ok`, and each failure alike, separated by blank lines. */
export function perHostText<T extends object>(
  results: readonly HostResult<T>[],
  ok: (r: Extract<HostResult<T>, { ok: true }>) => string[],
): string {
  return results
    .map((r) => joinLines(r.ok ? ok(r as Extract<HostResult<T>, { ok: true }>) : failureLines(r)))
    .join("\n\n");
}
