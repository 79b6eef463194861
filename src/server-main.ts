// `npm start`: dvol in one local process (src/server.ts), configured from the environment.
import { describeError } from "./errors.js";
import { startServer } from "./server.js";

startServer({ env: process.env }).then(
  (server) => {
    const where = server.mode === "http" ? `listening on ${server.url}` : "connected in Socket Mode";
    const hosts = server.config.hosts.map((h) => h.name).join(", ");
    process.stdout.write(`dvol: ${where}; hosts: ${hosts}\n`);
    const shutdown = (signal: string) => {
      process.stdout.write(`dvol: ${signal}: stopping\n`);
      server.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  },
  (err: unknown) => {
    process.stderr.write(`dvol: cannot start: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
