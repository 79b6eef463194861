// Helpers for tests that run dvol itself against the test bed: config files and the CLI in-process.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { main } from "../../src/cli.js";
import type { ConnectionFactory } from "../../src/docker/connection.js";
import type { EngineInfo, TestbedInfo } from "./testbed-types.js";

export interface HostEntry {
  name: string;
  url?: string;
  socket?: string;
  tls?: { ca: string; cert: string; key: string; serverName?: string };
  timeoutSeconds?: number;
  labels?: Record<string, string>;
}

/** A host entry for an engine of the test bed, over mutual TLS with the valid client certificate. */
export function engineHost(
  name: string,
  engine: EngineInfo,
  testbed: TestbedInfo,
  over: Partial<HostEntry> = {},
) {
  const { pki } = testbed;
  return {
    name,
    url: engine.url,
    tls: {
      ca: `file:${pki.ca.cert}`,
      cert: `file:${pki.client.cert}`,
      key: `file:${pki.client.key}`,
      serverName: engine.serverName,
    },
    ...over,
  } satisfies HostEntry;
}

/** Writes a dvol.config.yaml in a fresh temp dir and returns its path. */
export function writeConfig(hosts: HostEntry[], extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "dvol-cfg-"));
  const file = join(dir, "dvol.config.yaml");
  writeFileSync(file, stringify({ hosts, ...extra }));
  return file;
}

export interface CliRun<T> {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (only for --json runs). */
  json: T;
}

/** Runs the dvol CLI in this process, exactly as bin/dvol does, and captures what it prints. */
export async function runCli<T = unknown>(
  args: string[],
  opts: { connect?: ConnectionFactory; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun<T>> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => {
      stdout += `${t}\n`;
    },
    stderr: (t) => {
      stderr += `${t}\n`;
    },
    // A store of its own unless the test shares one: no sizes remembered from another run (issue 12).
    env: opts.env ?? { DVOL_STATE_DIR: mkdtempSync(join(tmpdir(), "dvol-state-")) },
    cwd: tmpdir(),
    connect: opts.connect,
  });
  let json: unknown;
  if (args.includes("--json")) json = JSON.parse(stdout);
  return { code, stdout, stderr, json: json as T };
}
