/**
 * Opens the store the environment names (SPEC §7): DynamoDB when DVOL_TABLE is set (the AWS
 * deployment), else the embedded SQLite file `dvol.sqlite` in DVOL_STATE_DIR (default `.dvol/`,
 * relative to the working directory). Each implementation, and its driver, is loaded only here,
 * when a store is opened.
 */
import path from "node:path";
import type { DynamoStoreOptions } from "./dynamo.js";
import type { Store } from "./store.js";

export interface OpenStoreOptions {
  /** Where a relative DVOL_STATE_DIR is resolved (default process.cwd()). */
  cwd?: string;
  /** Current time in ms, for memo expiry (default Date.now). */
  now?: () => number;
  /** DynamoDB client settings that the environment does not give (tests: endpoint, credentials). */
  dynamo?: Omit<Partial<DynamoStoreOptions>, "tableName" | "now">;
}

export type StoreLocation = { kind: "dynamodb"; table: string } | { kind: "embedded"; file: string };

/** Which store `openStore` opens for this environment, without opening it (for messages). */
export function storeLocation(
  env: NodeJS.ProcessEnv = process.env,
  opts: OpenStoreOptions = {},
): StoreLocation {
  const table = env.DVOL_TABLE?.trim();
  if (table) return { kind: "dynamodb", table };
  const dir = path.resolve(opts.cwd ?? process.cwd(), env.DVOL_STATE_DIR?.trim() || ".dvol");
  return { kind: "embedded", file: path.join(dir, "dvol.sqlite") };
}

/** Opens the store; throws StoreError when it cannot. The caller closes it. */
export async function openStore(
  env: NodeJS.ProcessEnv = process.env,
  opts: OpenStoreOptions = {},
): Promise<Store> {
  const where = storeLocation(env, opts);
  if (where.kind === "dynamodb") {
    const { openDynamoStore } = await import("./dynamo.js");
    // The SDK reads these from process.env itself; an injected env must work the same.
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
    return openDynamoStore({
      ...(region ? { region } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...opts.dynamo,
      tableName: where.table,
      ...(opts.now ? { now: opts.now } : {}),
    });
  }
  const { openEmbeddedStore } = await import("./embedded.js");
  return openEmbeddedStore({ file: where.file, ...(opts.now ? { now: opts.now } : {}) });
}
