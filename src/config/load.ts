import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { cached } from "../cached.js";
import { ConfigError, fileErrorText, pathAsGiven } from "../errors.js";
import type { Config } from "./types.js";
import { parseTcpUrl, validateConfig } from "./validate.js";

export const DEFAULT_CONFIG_FILE = "dvol.config.yaml";
export const DEFAULT_SOCKET = "/var/run/docker.sock";

export interface LoadOptions {
  /** An explicit file (the CLI's --config); wins over DVOL_CONFIG. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Loads and validates the config. With no file given and no `dvol.config.yaml` in the working
 * directory, dvol has a single host, `local`, from DOCKER_HOST or the default socket.
 */
export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file ?? (env.DVOL_CONFIG || undefined);
  const file = path.resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && explicit === undefined) return defaultConfig(env, cwd);
    throw new ConfigError(
      `cannot read ${pathAsGiven(explicit ?? DEFAULT_CONFIG_FILE, file)}: ${fileErrorText(cause)}`,
      {
        cause,
        hint: explicit === undefined ? undefined : "Check --config or DVOL_CONFIG.",
      },
    );
  }
  return parseConfig(text, file);
}

/**
 * A loader for long-lived processes (Lambda, the local server): the config is read once and kept;
 * a failed read is not kept, so the next request tries again. `fixed` replaces it (tests).
 */
export function configLoader(env: NodeJS.ProcessEnv, fixed?: Config): () => Promise<Config> {
  return cached(() => loadConfig({ env }), fixed);
}

/** Parses config text; `file` names the source in errors and anchors relative `file:` references. */
export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const first = doc.errors[0];
  if (first) {
    const where = ` at line ${lines.linePos(first.pos[0]).line}`;
    throw new ConfigError(`${file} is not valid YAML${where}: ${first.message.split("\n")[0]}`, {
      cause: first,
    });
  }
  return validateConfig(doc.toJS(), file, path.dirname(file));
}

/** The config used when there is no file: one host named `local`. */
export function defaultConfig(env: NodeJS.ProcessEnv, cwd: string): Config {
  return validateConfig({ hosts: [defaultLocalHost(env)] }, null, cwd);
}

function defaultLocalHost(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (!dockerHost) return { name: "local", socket: DEFAULT_SOCKET };
  if (dockerHost.startsWith("unix://")) return { name: "local", socket: dockerHost.slice("unix://".length) };
  if (dockerHost.startsWith("tcp://")) {
    const certPath = env.DOCKER_CERT_PATH;
    if (!certPath) {
      throw new ConfigError("DOCKER_HOST is a tcp:// address but DOCKER_CERT_PATH is not set", {
        key: "DOCKER_HOST",
        hint: "dvol only talks to remote engines over mutual TLS: set DOCKER_CERT_PATH to a folder with ca.pem, cert.pem and key.pem.",
      });
    }
    parseTcpUrl(dockerHost, "DOCKER_HOST");
    return {
      name: "local",
      url: dockerHost,
      tls: {
        ca: `file:${path.join(certPath, "ca.pem")}`,
        cert: `file:${path.join(certPath, "cert.pem")}`,
        key: `file:${path.join(certPath, "key.pem")}`,
      },
    };
  }
  throw new ConfigError(
    `unsupported DOCKER_HOST "${dockerHost}" (dvol supports unix:// and tcp:// with TLS)`,
    {
      key: "DOCKER_HOST",
    },
  );
}
