import type { StopRequest } from "./approvals/execute.js";
import { openBackupStore } from "./backup/open.js";
import { cached } from "./cached.js";
import { cliDeletion, type StoreOpener } from "./cli-deletion.js";
import { parseCommand } from "./commands/parse.js";
import { type Ran, runAndRender } from "./commands/table.js";
import { loadConfig } from "./config/load.js";
import { SecretResolver } from "./config/secrets.js";
import type { ConnectionFactory } from "./docker/connection.js";
import { tlsConnectionFactory } from "./docker/connection.js";
import { DvolError, describeError, errorClass, errorKind, UsageError } from "./errors.js";
import { loadGateConfig } from "./gate/config.js";
import { startGate } from "./gate/server.js";
import { SizeKeeper } from "./sizes/keeper.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/store.js";

/** Exit statuses (README: "Exit status"). */
export const EXIT_OK = 0;
/** The command ran and something failed: a host, a volume, a deletion, or writing the output. */
export const EXIT_HOST_FAILED = 1;
/** The command could not run as given; nothing was asked of any host. */
export const EXIT_USAGE = 2;
/** The output could not be written (a full disk): what the command found is lost. */
export const EXIT_OUTPUT_FAILED = EXIT_HOST_FAILED;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Replaces the TLS connection factory (tests, benchmarks). */
  connect?: ConnectionFactory;
  /** Replaces the store of rm --yes, prune --yes and requests (tests). */
  openStore?: StoreOpener;
  /** The keeper of size measurements (tests count what it asked of the engines). */
  sizeKeeper?: SizeKeeper;
  /** The clock of `report` (tests). */
  now?: () => Date;
  /** What --version prints (the bundle's, from package.json at build time). */
  version?: string;
  /** A stop asked for (SIGINT/SIGTERM, cli-signals.ts): deletions stop starting, the request is paused. */
  stopRequested?: () => StopRequest | null;
  /** `dvol gate`: resolves when the gate is told to stop (SIGINT/SIGTERM); it then closes. */
  gateStopped?: () => Promise<unknown>;
}

/** `dvol gate`: not a command of the grammar (Slack never sees it), the CLI's own long-running server. */
export const GATE_USAGE = "dvol gate --config gate.yaml";
const GATE_HELP = `  ${"gate".padEnd(8)} the mutual-TLS gate in front of one Docker engine, run on its host (CLI only): ${GATE_USAGE}`;

/**
 * The CLI's own commands, outside the grammar that the CLI and Slack share (Slack never sees them):
 * their help line and what runs them. Every other word is the command table's.
 */
const CLI_ONLY = {
  gate: { help: GATE_HELP, run: (opts: GlobalOptions, io: CliIo) => runGate(opts, io) },
} as const;
type CliOnlyName = keyof typeof CLI_ONLY;

function cliOnlyOf(words: readonly string[]): CliOnlyName | null {
  const w = words[0];
  return w !== undefined && Object.hasOwn(CLI_ONLY, w) ? (w as CliOnlyName) : null;
}

/** Whether the command line asks for the gate (it handles its own signals: no deletion runs in it). */
export function isGateCommand(argv: readonly string[]): boolean {
  try {
    const opts = splitGlobalOptions(argv);
    return cliOnlyOf(opts.words) === "gate" && !opts.help && !opts.version;
  } catch {
    return false;
  }
}

type GlobalOptions = ReturnType<typeof splitGlobalOptions>;

async function runGate(opts: GlobalOptions, io: CliIo): Promise<number> {
  if (opts.words.length > 1) throw new UsageError(`gate takes no arguments: ${GATE_USAGE}`);
  if (!opts.config) throw new UsageError(`gate needs its config file: ${GATE_USAGE}`);
  const config = await loadGateConfig(opts.config, io.cwd);
  const gate = await startGate(config);
  io.stderr(
    `dvol gate: listening on ${gate.host}:${gate.port} (mutual TLS), engine unix://${config.socket}, ` +
      `${config.clients.length} client${config.clients.length === 1 ? "" : "s"}, audit to ${config.audit ?? "standard output"}`,
  );
  await (io.gateStopped?.() ?? new Promise<never>(() => {}));
  io.stderr("dvol gate: stopping");
  await gate.close();
  return EXIT_OK;
}

const CLI_USAGE =
  "usage: dvol [--config FILE] [--json] [--yes] <command> [args...]   (dvol --help, dvol <command> --help, dvol --version)";

/** Splits the CLI's own options (--config, --json, --yes, --help, --version) from the command's words. */
export function splitGlobalOptions(argv: readonly string[]): {
  config?: string;
  json: boolean;
  /** rm and prune delete only with --yes (the CLI's own approval). */
  yes: boolean;
  /** --help or -h: `help`, or `help <command>` after a command. */
  help: boolean;
  version: boolean;
  words: string[];
} {
  let config: string | undefined;
  let json = false;
  let yes = false;
  let help = false;
  let version = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--json") json = true;
    else if (a === "--yes") yes = true;
    else if (a === "--help" || a === "-h") help = true;
    else if (a === "--version") version = true;
    else if (a === "--config") {
      config = argv[++i];
      if (config === undefined) throw new UsageError("--config needs a file", { usage: CLI_USAGE });
    } else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else words.push(a);
  }
  return { config, json, yes, help, version, words };
}

/**
 * The dvol command: returns the exit status (0 all hosts answered and all asked for was done, 1 a
 * host, volume or deletion failed, 2 usage).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let json = false;
  try {
    const opts = splitGlobalOptions(argv);
    json = opts.json;
    if (opts.version) {
      const version = io.version ?? "unknown";
      io.stdout(json ? JSON.stringify({ command: "version", version }) : `dvol ${version}`);
      return EXIT_OK;
    }
    const own = cliOnlyOf(opts.words);
    if (own !== null && !opts.help) return await CLI_ONLY[own].run(opts, io);
    if (own !== null) {
      const help = CLI_ONLY[own].help;
      io.stdout(json ? JSON.stringify({ command: "help", topic: own, text: help }) : help.trim());
      return EXIT_OK;
    }
    // `dvol --help`, `dvol ls --help`: help, or the command's help (its other words are not parsed).
    const words = opts.help ? ["help", ...opts.words.slice(0, 1)] : opts.words;
    const cmd = parseCommand(words.length ? words : ["help"]);
    const context = cached(async () => {
      const config = await loadConfig({ file: opts.config, env: io.env, cwd: io.cwd });
      const connect =
        io.connect ?? tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: io.env }));
      return { config, connect, now: io.now ?? (() => new Date()) };
    });
    let store: Promise<Store> | undefined;
    const open: StoreOpener = io.openStore ?? ((env, cwd) => openStore(env, { cwd }));
    // Measurements of sizes (issue 12) this run started: stopped once it has answered (a CLI that
    // stayed for them would hold its output's reader for minutes); `ls --fresh` waits for them.
    const keeper = io.sizeKeeper ?? new SizeKeeper();
    let ran: Ran;
    try {
      ran = await runAndRender(cmd, {
        sizes: { keeper },
        context,
        store: () => {
          store ??= open(io.env, io.cwd);
          return store;
        },
        deletion: { ...cliDeletion(io.env, opts.yes), stopRequested: io.stopRequested },
        // backup, backups and restore: DVOL_BACKUP_DIR, or backup.bucket (S3).
        backup: {
          store: cached(async () => openBackupStore((await context()).config, io.env, { cwd: io.cwd })),
          dvolVersion: io.version ?? "unknown",
        },
      });
    } finally {
      await keeper.settle(0);
      // Opened only by the commands that use it (sizes, rm and prune with --yes, requests, report).
      // A store that could not be opened was reported by the command that needed it.
      if (store) await (await store.catch(() => null))?.close();
    }
    // The overview of the CLI lists the gate too (it is no command of the grammar, so not in Slack's).
    const text = cmd.name === "help" && cmd.topic === null ? addGateHelp(ran.text) : ran.text;
    io.stdout(json ? JSON.stringify(ran.json) : text);
    return ran.ok ? EXIT_OK : EXIT_HOST_FAILED;
  } catch (err) {
    // The exit status and the JSON answer come from the error's kind (src/errors.ts): a usage
    // kind means the command could not run as given, and nothing was asked of any host.
    if (json) {
      const message = err instanceof DvolError ? err.message : describeError(err);
      io.stdout(JSON.stringify({ ok: false, error: message, kind: errorKind(err) }));
    }
    const lines = [`dvol: ${describeError(err)}`];
    if (err instanceof UsageError && err.usage) lines.push(`usage:\n${indent(err.usage)}`);
    io.stderr(lines.join("\n"));
    return errorClass(err) === "usage" ? EXIT_USAGE : EXIT_HOST_FAILED;
  }
}

function addGateHelp(text: string): string {
  const lines = text.split("\n");
  const blank = lines.indexOf("");
  if (blank < 0) return `${text}\n${GATE_HELP}`;
  lines.splice(blank, 0, GATE_HELP);
  return lines.join("\n");
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
