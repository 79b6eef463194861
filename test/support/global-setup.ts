// vitest globalSetup: starts the integration test bed (PKI, docker20 + docker28, image, scenario)
// once per run and provides its description as `testbed`. DVOL_TESTBED=off provides null instead.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { checkNative } from "../../scripts/native-check.mjs";
import { ENGINE_KINDS, type Engine, engineInfo, missingTestbedBinaries, startEngine } from "./engines.js";
import { generatePki } from "./pki.js";
import { createScenario } from "./scenario.js";
import type { TestbedInfo } from "./testbed-types.js";

const INSTALL_SCRIPT = fileURLToPath(new URL("../../scripts/testbed/install.sh", import.meta.url));

function log(msg: string): void {
  console.log(`[testbed] ${msg}`);
}

async function runInstallScript(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn("bash", [INSTALL_SCRIPT], { stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${INSTALL_SCRIPT} failed (exit ${code ?? signal})`)),
    );
  });
}

async function ensureBinaries(): Promise<void> {
  let missing = missingTestbedBinaries();
  if (missing.length === 0) return;
  const hint = `missing ${missing.join(", ")}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`${hint}; run \`sudo bash ${INSTALL_SCRIPT}\` (the test bed needs root to run dockerd)`);
  }
  log(`${hint}; running ${INSTALL_SCRIPT}`);
  await runInstallScript();
  missing = missingTestbedBinaries();
  if (missing.length > 0) throw new Error(`still missing after ${INSTALL_SCRIPT}: ${missing.join(", ")}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DVOL_TESTBED === "off") {
    log("DVOL_TESTBED=off: no engines (integration tests will fail)");
    project.provide("testbed", null);
    return async () => {};
  }
  // The whole suite needs the embedded store's native module built for this Node: one clear error
  // (with the rebuild command) rather than every store test failing on a wrong NODE_MODULE_VERSION.
  log(checkNative());
  const started = Date.now();
  const engines: Engine[] = [];
  let dir: string | undefined;
  const teardown = async (): Promise<void> => {
    const results = await Promise.allSettled(engines.map((e) => e.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0)
      throw new Error(`testbed teardown: ${failed.map((f) => String(f.reason)).join("; ")}`);
  };
  try {
    if (process.getuid?.() !== 0)
      throw new Error("the integration test bed must run as root (it runs dockerd)");
    await ensureBinaries();
    dir = await mkdtemp(join(tmpdir(), "dvol-testbed-"));
    const pki = await generatePki(join(dir, "pki"));
    const results = await Promise.allSettled(
      ENGINE_KINDS.map((kind) => startEngine({ kind, pki, dir: join(dir as string, kind) })),
    );
    for (const r of results) if (r.status === "fulfilled") engines.push(r.value);
    const errors = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (errors.length > 0) throw new Error(errors.join("\n\n"));
    await Promise.all(engines.map((e) => createScenario(e)));

    const [docker20, docker28] = engines.map(engineInfo);
    if (!docker20 || !docker28) throw new Error("expected two engines");
    const info: TestbedInfo = { dir, pki, engines: { docker20, docker28 }, setupMs: Date.now() - started };
    project.provide("testbed", info);
    log(
      `ready in ${info.setupMs} ms: ` +
        engines.map((e) => `${e.kind} ${e.version} (API ${e.apiVersion}) at ${e.url}`).join(", "),
    );
    return teardown;
  } catch (err) {
    await teardown().catch((e: unknown) => log(String(e)));
    throw new Error(`the integration test bed could not be started: ${(err as Error).message}`);
  }
}
