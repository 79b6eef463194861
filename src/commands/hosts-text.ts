/** `hosts` as text: one row per host, then what failed. */

import { joinLines } from "../format.js";
import { failureLines, table } from "./context.js";
import type { HostsResult } from "./hosts.js";

export function renderHostsText(r: HostsResult): string {
  const rows = [["HOST", "STATUS", "ENGINE", "API", "STORAGE DRIVER", "VOLUMES", "ENDPOINT"]];
  const failures: string[] = [];
  for (const h of r.hosts) {
    if (h.ok) {
      rows.push([
        h.host,
        "ok",
        h.engineVersion,
        h.apiVersion,
        h.storageDriver,
        String(h.volumeCount),
        h.endpoint,
      ]);
    } else {
      rows.push([h.host, "unreachable", "-", "-", "-", "-", "-"]);
      failures.push(...failureLines(h));
    }
  }
  return joinLines([...table(rows), ...(failures.length ? ["", ...failures] : [])]);
}
