/** `inspect <host> <volume>`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const INSPECT: CommandSpec = {
  name: "inspect",
  summary: "one volume: mountpoint, driver, options, labels, created, size, and the containers using it",
  args: [
    { name: "host", kind: "host" },
    { name: "volume", kind: "volume" },
  ],
  options: [],
  examples: ["inspect host1 shop_db-data"],
};
