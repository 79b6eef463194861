/** The gate's audit: one JSON line per request, to a file (appended) or to standard output. */
import { createWriteStream } from "node:fs";

export interface AuditLine {
  time: string;
  /** `subject:dvol-bot`, `pin:sha256/…`, `unknown:CN=…`, or null before the certificate was read. */
  client: string | null;
  /** The operation of the gate's table, or null when the request was refused before it was recognised. */
  operation: string | null;
  method: string;
  /** The engine path the gate built (with its version prefix) when allowed, else the path asked (cut to 200). */
  path: string;
  decision: "allowed" | "refused" | "failed";
  status: number;
  reason: string | null;
  volume: string | null;
  container: string | null;
  bytesIn: number;
  bytesOut: number;
  ms: number;
}

export type AuditSink = { write(line: AuditLine): void; close(): Promise<void> };

export function auditTo(
  file: string | null,
  stdout: (text: string) => void = (t) => process.stdout.write(t),
): AuditSink {
  if (file === null) {
    return { write: (line) => stdout(`${JSON.stringify(line)}\n`), close: async () => {} };
  }
  const stream = createWriteStream(file, { flags: "a", mode: 0o640 });
  stream.on("error", (err) =>
    process.stderr.write(`dvol gate: cannot write the audit to ${file}: ${err.message}\n`),
  );
  return {
    write: (line) => {
      stream.write(`${JSON.stringify(line)}\n`);
    },
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}
