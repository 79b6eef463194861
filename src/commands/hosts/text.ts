/** `hosts` as text: one row per host, then what failed. */

import { joinLines, table } from "../../format.js";
import { failureLines } from "../context.js";
import type { HostsResult } from "./run.js";

export function renderHostsText(r: HostsResult): string {
  const rows = [["HOST", "STATUS", "ENGINE", "API", "STORAGE DRIVER", "VOLUMES", "GATED", "ENDPOINT"]];
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
        h.gated ? "yes" : "no",
        h.endpoint,
      ]);
    } else {
      rows.push([h.host, "unreachable", "-", "-", "-", "-", "-", "-"]);
      failures.push(...failureLines(h));
    }
  }
  return joinLines([...table(rows), ...(failures.length ? ["", ...failures] : [])]);
}
