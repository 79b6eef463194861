// s3rver, an S3-compatible server, on a loopback port, for the S3 store of backups: a STAND-IN for
// Amazon S3 (no local S3 exists), which speaks S3's REST protocol but ignores what it does not
// model, server-side encryption among them. So a recording proxy sits in front of it: every
// request dvol makes is kept (method, path, headers), and tests check the headers S3 would act on
// (x-amz-server-side-encryption, the KMS key id) on the requests themselves.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

export interface S3Request {
  method: string;
  /** Path and query, `/bucket/key?…`. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface S3Standin {
  /** `http://127.0.0.1:<port>` of the recording proxy: the endpoint to give dvol. */
  endpoint: string;
  bucket: string;
  region: string;
  /** s3rver's own static credentials (it checks signatures). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Every request that reached the stand-in, in order. */
  requests: S3Request[];
  stop(): Promise<void>;
}

export async function startS3(bucket = "dvol-test-backups"): Promise<S3Standin> {
  const directory = mkdtempSync(join(tmpdir(), "dvol-s3rver-"));
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port: s3Port } = await s3.run();
  const requests: S3Request[] = [];
  const proxy = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const up = request(
      { host: "127.0.0.1", port: s3Port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requests,
    stop: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await s3.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
