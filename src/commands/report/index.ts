/**
 * `report`: its command-table entry; the report itself is made by the core (src/report/dangling.ts).
 * Its grammar is grammar.ts, its Slack rendering slack.ts.
 */
import { resolveTarget } from "../../config/targets.js";
import { reportComplete, reportJson, runReport } from "../../report/dangling.js";
import { type CommandEntry, sizesOf } from "../entry.js";
import { renderReportText } from "./text.js";

export const report: CommandEntry<"report"> = {
  // Unknown hosts are refused before the store is opened. The store remembers since when each
  // volume has been dangling.
  run: async (cmd, ctx) => {
    const c = await ctx.context();
    resolveTarget(c.config, cmd.target ?? "all");
    return runReport(cmd.target, { ...c, store: await ctx.store(), sizes: sizesOf(ctx) });
  },
  text: renderReportText,
  json: reportJson,
  ok: reportComplete,
};
