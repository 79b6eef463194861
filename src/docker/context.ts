import type { Config } from "../config/types.js";
import type { ConnectionFactory } from "./connection.js";

/** What every command runs with. Passed in, so tests and front ends choose the parts. */
export interface CommandContext {
  config: Config;
  connect: ConnectionFactory;
  now: () => Date;
}
