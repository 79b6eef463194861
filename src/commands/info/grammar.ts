/** `info <host>`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const INFO: CommandSpec = {
  name: "info",
  summary: "storage facts of a host: storage driver, root dir, driver status, and `docker system df`",
  args: [{ name: "host", kind: "host" }],
  options: [],
  examples: ["info host1"],
};
