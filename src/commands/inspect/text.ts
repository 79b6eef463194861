/** `inspect` as text: one volume, its labels and options, and the containers that use it. */
import { shortTime, table, yesNo } from "../../format.js";
import { perHostText } from "../context.js";
import { NOT_MEASURED, resultNow, sizesNote, sizeWithAge } from "../sizes.js";
import type { InspectResult } from "./run.js";

const pairs = (m: Record<string, string>) =>
  Object.keys(m).length === 0
    ? ["  (none)"]
    : Object.entries(m)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `  ${k}=${v}`);

export function renderInspectText(r: InspectResult): string {
  const now = resultNow(r);
  return perHostText(r.hosts, (h) => {
    const v = h.volume;
    const note = sizesNote(h.sizes, now);
    const used = v.containers.map((c) => [c.name, c.state, c.image, c.mountPath, c.readOnly ? "ro" : "rw"]);
    return [
      `${h.host}: volume ${v.name}`,
      `Driver: ${v.driver}`,
      `Mountpoint: ${v.mountpoint}`,
      `Created: ${shortTime(v.createdAt)}`,
      `Size: ${inspectSize(v, h.sizes, now)}`,
      ...(note ? [`  ${note}`] : []),
      `Project: ${v.project ?? "-"}`,
      `Dangling: ${yesNo(v.dangling)}`,
      "Options:",
      ...pairs(v.options),
      "Labels:",
      ...pairs(v.labels),
      `Used by ${v.containers.length} container${v.containers.length === 1 ? "" : "s"}${used.length ? ":" : ""}`,
      ...(used.length
        ? table([["NAME", "STATE", "IMAGE", "MOUNT", "MODE"], ...used]).map((l) => `  ${l}`)
        : []),
    ];
  });
}

/** The size line's value: "size not yet measured" in full where it is unknown. */
export function inspectSize(
  v: { sizeBytes: number | null; sizeMeasuredAt: string | null },
  sizes: Parameters<typeof sizeWithAge>[1],
  now: Date,
): string {
  const text = sizeWithAge(v, sizes, now);
  return text === NOT_MEASURED ? `size ${NOT_MEASURED}` : text;
}
