import { HostError } from "../errors.js";

/**
 * The highest Engine API version dvol knows the shapes of. Engines newer than this are spoken to
 * at this version; older ones at their own. Never pin an old prefix: Docker 29 refuses below 1.44.
 */
export const MAX_API_VERSION = "1.52";
/** The oldest engine dvol supports: Docker 20.10. */
export const MIN_API_VERSION = "1.41";

export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

export function negotiateApiVersion(host: string, engineApi: string, engineMin: unknown): string {
  if (compareVersions(engineApi, MIN_API_VERSION) < 0) {
    throw new HostError(
      host,
      "api",
      `the engine speaks API ${engineApi}; dvol needs ${MIN_API_VERSION} (Docker 20.10) or later`,
      { hint: "Upgrade Docker on this host." },
    );
  }
  const chosen = compareVersions(engineApi, MAX_API_VERSION) < 0 ? engineApi : MAX_API_VERSION;
  if (
    typeof engineMin === "string" &&
    /^\d+\.\d+$/.test(engineMin) &&
    compareVersions(chosen, engineMin) < 0
  ) {
    throw new HostError(
      host,
      "api",
      `the engine needs API ${engineMin} or later; dvol speaks up to ${MAX_API_VERSION}`,
      {
        hint: "Upgrade dvol.",
      },
    );
  }
  return chosen;
}
