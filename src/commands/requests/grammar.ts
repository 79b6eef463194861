/** `requests`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const REQUESTS: CommandSpec = {
  name: "requests",
  summary:
    "open deletion requests and the last ones decided; resume a paused one (approvers), or cancel one (its requester or an approver)",
  args: [
    { name: "resume|cancel", kind: "action", optional: true },
    { name: "DR-…", kind: "request", optional: true },
  ],
  options: [],
  examples: ["requests", "requests resume DR-0A1B2C3D", "requests cancel DR-0A1B2C3D"],
};
