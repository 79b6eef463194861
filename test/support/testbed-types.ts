// What the global setup hands to the tests (`inject("testbed")`), and the guard tests use to get it.
import { inject } from "vitest";
import type { EngineInfo, EngineKind } from "./engines.js";
import type { Pki } from "./pki.js";

export type { EngineInfo, EngineKind } from "./engines.js";
export type { Pki } from "./pki.js";

export interface TestbedInfo {
  /** Temp dir holding the PKI and both engines' data; removed at teardown. */
  dir: string;
  pki: Pki;
  engines: Record<EngineKind, EngineInfo>;
  /** How long the global setup took, in ms. */
  setupMs: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** null when the run was started with DVOL_TESTBED=off. */
    testbed: TestbedInfo | null;
  }
}

/** The running test bed; throws (never skips) when there is none. */
export function requireTestbed(): TestbedInfo {
  const testbed = inject("testbed");
  if (testbed === null) {
    throw new Error(
      "the integration test bed is not running: DVOL_TESTBED=off was set; " +
        "run the integration tests without it (as root, after scripts/testbed/install.sh)",
    );
  }
  if (testbed === undefined) {
    throw new Error(
      "the integration test bed is not running: nothing was provided " +
        "(is test/support/global-setup.ts the globalSetup of this vitest config?)",
    );
  }
  return testbed;
}

/** Both engines, docker20 first: handy for `describe.each`. */
export function testbedEngines(testbed: TestbedInfo = requireTestbed()): EngineInfo[] {
  return [testbed.engines.docker20, testbed.engines.docker28];
}
