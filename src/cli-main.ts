import { EXIT_OUTPUT_FAILED, isGateCommand, main } from "./cli.js";
import { stopOnSignals } from "./cli-signals.js";
import { fileErrorText } from "./errors.js";
import { terminalSafe } from "./format.js";

/** package.json's version, put in the bundle by scripts/build.mjs (esbuild's `define`). */
declare const __DVOL_VERSION__: string | undefined;
const VERSION = typeof __DVOL_VERSION__ === "string" ? __DVOL_VERSION__ : undefined;

// The output could not be written. The reader went away (`dvol ls all | head -1`): what is left of
// the output has nobody to read it, so dvol ends quietly with the command's own status, as a Unix
// tool does on SIGPIPE, instead of an unhandled EPIPE stack trace. Anything else (a full disk:
// ENOSPC) is one line on stderr and exit status 1, since the result is lost.
let outputFailed = false;
let stdoutGone = false;
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (stdoutGone) return;
  stdoutGone = true;
  if (err.code === "EPIPE") return;
  outputFailed = true;
  process.exitCode = EXIT_OUTPUT_FAILED;
  process.stderr.write(`dvol: cannot write the output: ${fileErrorText(err)}\n`);
});
// stderr gone too: nothing more can be said.
process.stderr.on("error", () => {});

// SIGINT/SIGTERM while deleting: no new deletion starts, the request is paused (cli-signals.ts).
// `dvol gate` deletes nothing of its own: a signal closes it.
const gate = isGateCommand(process.argv.slice(2));
const signals = gate
  ? { stopRequested: () => null, dispose: () => {} }
  : stopOnSignals(
      process,
      (line) => process.stderr.write(`${line}\n`),
      (code) => process.exit(code),
    );
const gateStopped = () =>
  new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });

// Engine data (labels, names, error texts) never reaches the terminal as control sequences.
main(process.argv.slice(2), {
  stdout: (t) => {
    if (!stdoutGone) process.stdout.write(`${terminalSafe(t)}\n`);
  },
  stderr: (t) => process.stderr.write(`${terminalSafe(t)}\n`),
  env: process.env,
  cwd: process.cwd(),
  stopRequested: signals.stopRequested,
  gateStopped,
  ...(VERSION === undefined ? {} : { version: VERSION }),
}).then(
  (code) => {
    signals.dispose();
    process.exitCode = outputFailed ? EXIT_OUTPUT_FAILED : code;
  },
  (err) => {
    process.stderr.write(`dvol: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
