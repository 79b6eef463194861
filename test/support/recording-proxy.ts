// A mutual-TLS front for an engine's unix socket that records every request (method and path):
// tests count what dvol asked of the real engine (one /system/df for two concurrent `ls`). It
// terminates TLS with the test bed's own server certificate and requires a client certificate
// signed by its CA, exactly as the engine's own TLS endpoint does, so dvol's verification is real;
// requests and answers pass through unchanged (streamed both ways).
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Pki } from "./pki.js";

export interface RecordingProxy {
  /** tcp://127.0.0.1:PORT (the server certificate names engine.dvol.test, localhost, 127.0.0.1). */
  url: string;
  /** Every request seen, as "METHOD /path?query", in order of arrival. */
  readonly requests: string[];
  /** How many requests' paths (version prefix left out) are `path`: count("/system/df"). */
  count(path: string): number;
  close(): Promise<void>;
}

export async function startRecordingProxy(pki: Pki, socketPath: string): Promise<RecordingProxy> {
  const requests: string[] = [];
  const server: Server = createServer(
    {
      key: readFileSync(pki.server.key),
      cert: readFileSync(pki.server.cert),
      ca: readFileSync(pki.ca.cert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const upstream = request(
        { socketPath, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      // The client went away (its deadline): the engine's request is cut too, as without a proxy.
      res.on("close", () => upstream.destroy());
      req.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    requests,
    count: (path) =>
      requests.filter(
        (r) =>
          r
            .split(" ")[1]
            ?.replace(/^\/v\d+\.\d+/, "")
            .split("?")[0] === path,
      ).length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
