import { main } from "./cli.js";

main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(`${t}\n`),
  stderr: (t) => process.stderr.write(`${t}\n`),
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
