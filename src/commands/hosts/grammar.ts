/** `hosts`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const HOSTS: CommandSpec = {
  name: "hosts",
  summary: "every registered host: reachable or not, engine and API version, storage driver, volume count",
  args: [],
  options: [],
  examples: ["hosts"],
};
