/**
 * How long a measurement of sizes counts as "just now" (issue 12): shown without an age and not
 * made again. A module of its own, importing nothing, so that renderings (the Slack handler's
 * among them) can read it without the measuring code.
 */
export const FRESH_FOR_MS = 60_000;
