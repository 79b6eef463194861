/** Docker's rule for volume names, checked by the parser, the plan and the engine client alike. */
import { InvalidVolumeNameError } from "./errors.js";

/** Docker's own rule for volume names (daemon/names). */
export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Longer names are refused by Docker's filesystem anyway; keep them out of URLs and messages. */
export const VOLUME_NAME_MAX = 255;

/** Throws before anything is sent to a host when `name` is not a name Docker would accept. */
export function assertVolumeName(name: string): string {
  if (name.length > VOLUME_NAME_MAX || !VOLUME_NAME_RE.test(name)) throw new InvalidVolumeNameError(name);
  return name;
}
