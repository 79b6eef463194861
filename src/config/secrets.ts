import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.js";
import type { SecretRef } from "./types.js";

/** Reads one SSM parameter, decrypted. Injected so tests need no AWS. */
export type SsmReader = (name: string) => Promise<string>;

export interface SecretResolverOptions {
  baseDir: string;
  env?: NodeJS.ProcessEnv;
  /** Defaults to the AWS SDK's SSM client, loaded only when an ssm: reference is used. */
  ssm?: SsmReader;
}

/**
 * Resolves secret references to their bytes, caching each one. Errors name the reference and the
 * config key, never the secret's value.
 */
export class SecretResolver {
  private readonly cache = new Map<string, Promise<Buffer>>();
  private readonly env: NodeJS.ProcessEnv;
  private ssm: SsmReader | undefined;

  constructor(private readonly opts: SecretResolverOptions) {
    this.env = opts.env ?? process.env;
    this.ssm = opts.ssm;
  }

  resolve(ref: SecretRef, key: string): Promise<Buffer> {
    const id = `${ref.scheme}:${ref.target}`;
    let p = this.cache.get(id);
    if (!p) {
      p = this.load(ref, key);
      this.cache.set(id, p);
      p.catch(() => this.cache.delete(id));
    }
    return p;
  }

  private async load(ref: SecretRef, key: string): Promise<Buffer> {
    switch (ref.scheme) {
      case "file": {
        const file = path.resolve(this.opts.baseDir, ref.target);
        try {
          return await readFile(file);
        } catch (cause) {
          throw new ConfigError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
            key,
            cause,
          });
        }
      }
      case "env": {
        const value = this.env[ref.target];
        if (!value) throw new ConfigError(`environment variable ${ref.target} is not set`, { key });
        // PEM text in a variable often has its newlines written as \n.
        return Buffer.from(value.includes("-----BEGIN") ? value.replace(/\\n/g, "\n") : value);
      }
      case "ssm": {
        this.ssm ??= await defaultSsmReader();
        try {
          return Buffer.from(await this.ssm(ref.target));
        } catch (cause) {
          const name = (cause as Error).name ?? "Error";
          throw new ConfigError(`cannot read SSM parameter ${ref.target}: ${name}`, {
            key,
            cause,
            hint: "Check that the parameter exists and that this role may call ssm:GetParameter on it.",
          });
        }
      }
    }
  }
}

/** The AWS SDK's SSM client, loaded on first use (it costs start-up time the CLI rarely needs). */
export async function defaultSsmReader(): Promise<SsmReader> {
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const client = new SSMClient({});
  return async (name) => {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new Error(`parameter ${name} has no value`);
    return value;
  };
}
