// Test PKI generated at run time with the openssl CLI. Nothing here is ever committed.
//
//   ca ──┬─ server        (SAN DNS:localhost, DNS:engine.dvol.test, IP:127.0.0.1; serverAuth)
//        └─ client        (clientAuth)
//   rogueCa ─┬─ rogueServer (same SANs; for "unknown CA" tests from the client side)
//            └─ rogueClient (clientAuth; for "client cert from another CA" tests)
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const ENGINE_SERVER_NAME = "engine.dvol.test";
export const SERVER_SANS = ["DNS:localhost", `DNS:${ENGINE_SERVER_NAME}`, "IP:127.0.0.1"] as const;

/** PEM file paths of a certificate and its (unencrypted) private key. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  client: CertFiles;
  /** Directory with ca.pem, cert.pem, key.pem of the valid client: a DOCKER_CERT_PATH. */
  clientCertDir: string;
  rogueCa: CertFiles;
  rogueServer: CertFiles;
  rogueClient: CertFiles;
}

const DAYS = "7";

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

export async function makeCa(dir: string, name: string, cn: string): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
  await openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      files.key,
      "-out",
      files.cert,
      "-days",
      DAYS,
      "-subj",
      `/CN=${cn}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return files;
}

export async function makeLeaf(
  dir: string,
  name: string,
  cn: string,
  issuer: CertFiles,
  extensions: string[],
): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, `${extensions.join("\n")}\n`);
  await openssl(
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      files.key,
      "-out",
      csr,
      "-subj",
      `/CN=${cn}`,
    ],
    dir,
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      issuer.cert,
      "-CAkey",
      issuer.key,
      "-set_serial",
      `0x${randomSerial()}`,
      "-days",
      DAYS,
      "-extfile",
      ext,
      "-out",
      files.cert,
    ],
    dir,
  );
  await rm(csr);
  await rm(ext);
  return files;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // keep it positive
  return bytes.toString("hex");
}

export const SERVER_EXT = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  `subjectAltName=${SERVER_SANS.join(",")}`,
];
export const CLIENT_EXT = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=clientAuth",
];

/** Generates the test PKI into `dir` (a new temp dir if omitted). Keys are mode 0600. */
export async function generatePki(dir?: string): Promise<Pki> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), "dvol-pki-")));
  await mkdir(root, { recursive: true, mode: 0o700 });
  const ca = await makeCa(root, "ca", "dvol test CA");
  const rogueCa = await makeCa(root, "rogue-ca", "dvol rogue CA");
  const [server, client, rogueServer, rogueClient] = await Promise.all([
    makeLeaf(root, "server", ENGINE_SERVER_NAME, ca, SERVER_EXT),
    makeLeaf(root, "client", "dvol test client", ca, CLIENT_EXT),
    makeLeaf(root, "rogue-server", ENGINE_SERVER_NAME, rogueCa, SERVER_EXT),
    makeLeaf(root, "rogue-client", "dvol rogue client", rogueCa, CLIENT_EXT),
  ]);
  const clientCertDir = join(root, "client-docker");
  await mkdir(clientCertDir, { mode: 0o700 });
  await copyFile(ca.cert, join(clientCertDir, "ca.pem"));
  await copyFile(client.cert, join(clientCertDir, "cert.pem"));
  await copyFile(client.key, join(clientCertDir, "key.pem"));
  for (const f of [ca, rogueCa, server, client, rogueServer, rogueClient]) await chmod(f.key, 0o600);
  return { dir: root, ca, server, client, clientCertDir, rogueCa, rogueServer, rogueClient };
}
