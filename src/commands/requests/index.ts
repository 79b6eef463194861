/** `requests`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry } from "../entry.js";
import { runRequests } from "./run.js";
import { renderRequestsText } from "./text.js";

export const requests: CommandEntry<"requests"> = {
  run: async (_cmd, ctx) => runRequests(await ctx.store(), (await ctx.context()).now),
  text: renderRequestsText,
  json: asIs,
  ok: () => true,
};
