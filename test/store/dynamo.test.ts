// The DynamoDB store (src/store/dynamo.ts) against dynalite started here, in-process, on loopback:
// the Store contract, how records of any size are laid out in items, errors, and the table in
// serverless.yml being the one the code uses.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { StoreError } from "../../src/errors.js";
import { auditPk, DynamoStore, openDynamoStore, TABLE, tableDefinition } from "../../src/store/dynamo.js";
import { openStore } from "../../src/store/open.js";
import { auditKey } from "../../src/store/shared.js";
import { type Dynalite, startDynalite } from "../support/dynalite.js";
import { hugeRequest, makeRequest, storeContract } from "./contract.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(async () => {
  await dyn?.stop();
});

storeContract("DynamoDB (dynalite)", async () => {
  const tableName = await dyn.createTable();
  return {
    open: (opts) => openDynamoStore({ ...dyn.storeOptions(tableName), ...opts }),
    plantAudit: async (record, stored) => {
      await dyn.client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: { S: auditPk(record.requestId) },
            sk: { S: auditKey(record) },
            data: { S: JSON.stringify(stored) },
          },
        }),
      );
    },
    dispose: async () => {},
  };
});

/** The raw items of a request's partition, by kind. */
async function itemsOf(tableName: string, id: string) {
  const res = await dyn.client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: `REQ#${id}` } },
      ConsistentRead: true,
    }),
  );
  const items = res.Items ?? [];
  const meta = items.find((i) => i.sk?.S === "META");
  return {
    meta,
    parts: items.filter((i) => i.sk?.S?.startsWith("PART#")).map((i) => i.sk?.S),
    metaBytes: meta ? Buffer.byteLength(JSON.stringify(meta)) : 0,
  };
}

describe("DynamoDB store: the audit trail's own partition", () => {
  it("keeps audit records under AUDIT#<id> with sort key <at>#<seq>#<digest>, none in the request's partition", async () => {
    const tableName = await dyn.createTable();
    const store = await openDynamoStore(dyn.storeOptions(tableName));
    const r = makeRequest();
    await store.createRequest(r);
    const record = {
      requestId: r.id,
      at: "2026-11-29T14:00:00Z",
      seq: 42,
      actor: "U0BOB0001",
      action: "approved" as const,
      detail: {},
    };
    await store.appendAudit(record);
    await store.appendAudit(record);
    const res = await dyn.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: `AUDIT#${r.id}` } },
        ConsistentRead: true,
      }),
    );
    expect(res.Items?.map((i) => i.sk?.S)).toEqual([
      expect.stringMatching(/^2026-11-29T14:00:00\.000Z#0000000000000042#[0-9a-f]{16}$/),
    ]);
    expect(JSON.parse(res.Items?.[0]?.data?.S ?? "null")).toEqual(record);
    const own = await dyn.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: `REQ#${r.id}` } },
        ConsistentRead: true,
      }),
    );
    expect(own.Items?.map((i) => i.sk?.S)).toEqual(["META"]);
    await store.close();
  });
});

describe("DynamoDB store: records of any size", () => {
  let tableName: string;
  beforeAll(async () => {
    tableName = await dyn.createTable();
  });

  it("keeps a small request as JSON in its item", async () => {
    const store = await openDynamoStore(dyn.storeOptions(tableName));
    const r = makeRequest();
    await store.createRequest(r);
    const { meta, parts } = await itemsOf(tableName, r.id);
    expect(JSON.parse(meta?.data?.S ?? "null")).toEqual(r);
    expect(meta?.dataz).toBeUndefined();
    expect(parts).toEqual([]);
    expect(meta).toMatchObject({
      version: { N: "1" },
      status: { S: "pending" },
      gpk: { S: "REQS" },
      gsk: { S: `2026-11-29T14:00:00.000Z#${r.id}` },
    });
    await store.close();
  });

  it("compresses 1,000 volumes with 255-character random names into one item under 400 KB", async () => {
    const store = await openDynamoStore(dyn.storeOptions(tableName));
    const r = hugeRequest(1000);
    const t0 = performance.now();
    await store.createRequest(r);
    const t1 = performance.now();
    expect(await store.getRequest(r.id)).toEqual(r);
    const t2 = performance.now();
    const { meta, parts } = await itemsOf(tableName, r.id);
    const json = Buffer.byteLength(JSON.stringify(r));
    const z = Buffer.from(meta?.dataz?.B ?? new Uint8Array()).length;
    expect(parts).toEqual([]);
    expect(z).toBeGreaterThan(0);
    expect(z).toBeLessThanOrEqual(350_000);
    console.log(
      `[dynamo] 1,000 volumes: JSON ${json} B, brotli ${z} B (${((100 * z) / json).toFixed(0)}%); ` +
        `create ${(t1 - t0).toFixed(0)} ms, get ${(t2 - t1).toFixed(0)} ms`,
    );
    await store.close();
  });

  it("puts what still does not fit in PART items, and replaces them on update", async () => {
    const store = await openDynamoStore(dyn.storeOptions(tableName));
    const r = hugeRequest(3000);
    await store.createRequest(r);
    expect(await store.getRequest(r.id)).toEqual(r);
    const first = await itemsOf(tableName, r.id);
    expect(first.parts.length).toBeGreaterThanOrEqual(3);
    expect(first.metaBytes).toBeLessThan(2000);

    const next = { ...r, status: "done" as const, outcomes: r.outcomes.slice(0, 10), version: 2 };
    expect(await store.updateRequest(next, 1)).toBe(true);
    expect(await store.getRequest(r.id)).toEqual(next);
    const second = await itemsOf(tableName, r.id);
    // The old parts are gone; the new ones have another id.
    expect(second.parts.length).toBeGreaterThanOrEqual(2);
    expect(second.parts.some((p) => first.parts.includes(p))).toBe(false);
    expect(await store.listRequests({ statuses: ["done"], limit: 1 })).toEqual([next]);

    // Back to small: no part left behind.
    const small = { ...next, plan: next.plan.slice(0, 3), blocked: [], outcomes: [], version: 3 };
    expect(await store.updateRequest(small, 2)).toBe(true);
    expect((await itemsOf(tableName, r.id)).parts).toEqual([]);
    expect(await store.getRequest(r.id)).toEqual(small);
    await store.close();
  });

  it("leaves no part of a losing writer behind (concurrent updates and creates of a large request)", async () => {
    // Small parts, so that every write has several.
    const opts = { ...dyn.storeOptions(tableName), inlineJsonBytes: 1000, chunkBytes: 20_000 };
    const [a, b] = await Promise.all([openDynamoStore(opts), openDynamoStore(opts)]);
    const r = hugeRequest(300);
    const created = await Promise.all([a.createRequest(r), b.createRequest({ ...r, host: "other" })]);
    expect(created.filter(Boolean)).toHaveLength(1);
    let current = (await a.getRequest(r.id)) ?? r;
    for (let round = 0; round < 5; round++) {
      const x = { ...current, executor: `a${round}`, version: current.version + 1 };
      const y = { ...current, executor: `b${round}`, outcomes: [], version: current.version + 1 };
      const results = await Promise.all([
        a.updateRequest(x, current.version),
        b.updateRequest(y, current.version),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      current = results[0] ? x : y;
      expect(await b.getRequest(r.id)).toEqual(current);
      const { meta, parts } = await itemsOf(tableName, r.id);
      expect(parts).toHaveLength(Number(meta?.parts?.N));
      expect(parts.every((p) => p?.startsWith(`PART#${meta?.partId?.S}#`))).toBe(true);
    }
    await Promise.all([a.close(), b.close()]);
  });

  it("reads a large request consistently while it is rewritten", async () => {
    const opts = { ...dyn.storeOptions(tableName), inlineJsonBytes: 1000, chunkBytes: 20_000 };
    const [writer, reader] = await Promise.all([openDynamoStore(opts), openDynamoStore(opts)]);
    let current = hugeRequest(200);
    await writer.createRequest(current);
    const versions = new Map([[1, current]]);
    let done = false;
    const writing = (async () => {
      for (let i = 0; i < 15; i++) {
        const next = { ...current, executor: `w${i}`, version: current.version + 1 };
        versions.set(next.version, next);
        expect(await writer.updateRequest(next, current.version)).toBe(true);
        current = next;
      }
      done = true;
    })();
    let reads = 0;
    while (!done) {
      const got = await reader.getRequest(current.id);
      expect(got).toEqual(versions.get(got?.version ?? -1));
      reads++;
    }
    await writing;
    expect(reads).toBeGreaterThan(0);
    await Promise.all([writer.close(), reader.close()]);
  });
});

describe("DynamoDB store: errors", () => {
  it("names the table and what to check when the table does not exist, and no credentials", async () => {
    const store = await openDynamoStore(dyn.storeOptions("no-such-table"));
    const err = await store.getRequest("DR-00000000").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    const e = err as StoreError;
    expect(e.kind).toBe("store");
    expect(e.message).toMatch(
      /^store: DynamoDB read request DR-00000000 on table no-such-table failed: ResourceNotFoundException/,
    );
    expect(e.hint).toMatch(/DVOL_TABLE/);
    expect(`${e.message} ${e.hint}`).not.toContain(dyn.credentials.secretAccessKey);
    expect(`${e.message} ${e.hint}`).not.toContain(dyn.credentials.accessKeyId);
    // Nor anywhere in what a logger would print of it (the SDK's error carries the request's headers).
    const logged = inspect(err, { depth: 20 });
    expect(logged).toContain("ResourceNotFoundException");
    expect(logged).not.toContain(dyn.credentials.accessKeyId);
    expect(logged).not.toMatch(/Signature=|authorization/i);
    await store.close();
  });

  it("fails within its deadline, with a StoreError, when DynamoDB does not answer", async () => {
    // A port that accepts connections and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as { port: number };
    const store = await openDynamoStore({
      ...dyn.storeOptions("t"),
      endpoint: `http://127.0.0.1:${port}`,
      requestTimeoutMs: 300,
    });
    const t0 = Date.now();
    const err = await store
      .claim("k", "2999-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/claim k on table t failed/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await store.close();
    silent.close();
  });
});

describe("openStore with DVOL_TABLE", () => {
  it("opens the DynamoDB store, with the endpoint and region from the environment", async () => {
    const tableName = await dyn.createTable();
    const store = await openStore(
      {
        DVOL_TABLE: tableName,
        DVOL_STATE_DIR: "/nonexistent/never-used",
        AWS_REGION: dyn.region,
        AWS_ENDPOINT_URL_DYNAMODB: dyn.endpoint,
      },
      { dynamo: { credentials: dyn.credentials } },
    );
    expect(store).toBeInstanceOf(DynamoStore);
    expect((store as DynamoStore).tableName).toBe(tableName);
    expect(await store.claim("k", "2999-01-01T00:00:00Z", "2026-01-01T00:00:00Z")).toBe(true);
    await store.close();
  });
});

describe("serverless.yml", () => {
  // CloudFormation's short tags (!GetAtt, !Sub …) are kept as plain values: only the table matters here.
  const doc = parse(readFileSync(path.join(ROOT, "serverless.yml"), "utf8"), { logLevel: "silent" }) as {
    resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  };
  const tables = Object.values(doc.resources.Resources).filter((r) => r.Type === "AWS::DynamoDB::Table");

  it("declares one table with the keys, index and billing of the code, and TTL on its ttl attribute", () => {
    expect(tables).toHaveLength(1);
    const props = tables[0]?.Properties ?? {};
    const def = tableDefinition("x");
    expect(props.BillingMode).toBe("PAY_PER_REQUEST");
    expect(props.KeySchema).toEqual(def.KeySchema);
    expect(props.AttributeDefinitions).toEqual(def.AttributeDefinitions);
    expect(props.GlobalSecondaryIndexes).toEqual(def.GlobalSecondaryIndexes);
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: TABLE.ttlAttribute, Enabled: true });
  });
});
