import { main } from "./cli.js";
import { terminalSafe } from "./format.js";

// The reader went away (`dvol ls all | head`): what is left of the output has nobody to read it.
// Stop quietly, as a Unix tool does on SIGPIPE, instead of an unhandled EPIPE stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

// Engine data (labels, names, error texts) never reaches the terminal as control sequences.
main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(`${terminalSafe(t)}\n`),
  stderr: (t) => process.stderr.write(`${terminalSafe(t)}\n`),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`dvol: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
