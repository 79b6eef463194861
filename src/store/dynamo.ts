/**
 * The DynamoDB store (DVOL_TABLE), for the AWS deployment. One table, string keys `pk` and `sk`:
 *
 * | item                        | pk              | sk                                 | other attributes |
 * |-----------------------------|-----------------|------------------------------------|------------------|
 * | a request                   | `REQ#<id>`      | `META`                             | version, status, gpk = `REQS`, gsk = `<createdAt>#<id>`, and the record: data (JSON) or dataz (brotli) or partId + parts + zsize |
 * | a piece of a large request  | `REQ#<id>`      | `PART#<partId>#<n>`                | z (brotli bytes) |
 * | an audit record             | `AUDIT#<id>`    | `<at>#<seq>#<digest>`              | data (JSON)      |
 * | a claim                     | `CLAIM#<key>`   | `CLAIM`                            | exp (ms), ttl    |
 * | a memo                      | `MEMO#<key>`    | `MEMO`                             | value, exp (ms), ttl |
 * | a host's remembered sizes   | `SIZES#<host>`  | `<slot>` (measured, reported)      | at (ms), z (brotli) or partId + parts + zsize |
 * | a piece of large sizes      | `SIZES#<host>`  | `<slot>#PART#<partId>#<n>`         | z (brotli bytes) |
 *
 * The global secondary index `byCreated` (gpk, gsk; projects `status`) lists requests newest first
 * with a Query, never a Scan; each listed request is then read with a consistent GetItem (so what
 * is listed is current, but a request created a moment ago may not be listed yet: GSIs lag).
 *
 * Every change is one conditional write on one item: a request is created if absent and replaced
 * only at its expected version; an audit record is put only if absent (never overwritten: the same
 * record appended again is a no-op); a claim is put if absent or expired (`exp <= now`, checked in
 * the condition, never left to TTL) and released only by its holder (`exp` as it was claimed).
 * `ttl` (epoch seconds) only lets DynamoDB remove expired claims and memos; requests and their audit
 * trail are kept.
 *
 * Over 400 lines on purpose: one implementation of the Store contract (test/store/contract.ts), whose
 * item design above is read with the code that writes it, and what every store does alike is in
 * store/shared.ts already.
 *
 * Audit records have a partition of their own per request (`AUDIT#<id>`), apart from the request's
 * (`REQ#<id>`), so that IAM can deny dynamodb:DeleteItem on every `AUDIT#*` leading key: once
 * written, a record is neither changed (the put is conditional) nor deleted. The daily report
 * touches only the leading keys `CLAIM#report#*`, `MEMO#report-posted#*`, `MEMO#report-list|*` and
 * `MEMO#dangling|*` (test/unit/handlers/report.test.ts), so its role can be limited to those.
 *
 * Size: an item holds at most 400 KB. A request's JSON (1,000 planned volumes with 255-character
 * names and their outcomes is about 0.8 MB) is stored as is up to 64 KB, brotli-compressed in the
 * item up to 350 KB compressed, and beyond that in PART items written before the request item
 * that points at them (partId, a new one for every write): the conditional write of the request
 * item stays the only thing that decides, a losing writer deletes its parts, and the winner
 * deletes the parts the old version pointed at.
 */
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { CreateTableCommandInput, DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { StoreError } from "../errors.js";
import type { AuditRecord, DeletionRequest } from "./records.js";
import {
  auditKey,
  checkLimit,
  checkRequest,
  checkUpdate,
  closedError,
  instantMs,
  isoKey,
  type ListOptions,
  matchesList,
  redact,
  requestOrderKey,
} from "./shared.js";
import { checkSnapshot, decodeSnapshot, encodeSnapshot, type SizeSlot, type SizeSnapshot } from "./sizes.js";
import type { Store } from "./store.js";

/** The table's shape: serverless.yml declares the same (test/store/dynamo.test.ts checks it). */
export const TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  index: "byCreated",
  indexPartitionKey: "gpk",
  indexSortKey: "gsk",
  /** The index's partition for every request. */
  requestsPartition: "REQS",
  ttlAttribute: "ttl",
} as const;

/** CreateTable input for this design (tests create it in dynalite; AWS gets it from serverless.yml). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: TABLE.partitionKey, AttributeType: "S" },
      { AttributeName: TABLE.sortKey, AttributeType: "S" },
      { AttributeName: TABLE.indexPartitionKey, AttributeType: "S" },
      { AttributeName: TABLE.indexSortKey, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TABLE.index,
        KeySchema: [
          { AttributeName: TABLE.indexPartitionKey, KeyType: "HASH" },
          { AttributeName: TABLE.indexSortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["status"] },
      },
    ],
  };
}

export interface DynamoStoreOptions {
  tableName: string;
  /** Default: the SDK's (AWS_REGION). */
  region?: string;
  /** Another endpoint (dynalite in tests); default: the SDK's (AWS_ENDPOINT_URL_DYNAMODB or AWS). */
  endpoint?: string;
  /** Default: the SDK's credential chain (the Lambda role). */
  credentials?: DynamoDBClientConfig["credentials"];
  /** Current time in ms, for memo expiry. */
  now?: () => number;
  /** Deadline of one HTTP request to DynamoDB (ms, default 5000); the SDK retries up to 3 times. */
  requestTimeoutMs?: number;
  /** A request's JSON up to this many bytes is stored as is (default 64 KB). */
  inlineJsonBytes?: number;
  /** Compressed records up to this many bytes stay in the item; larger ones go in parts of this size (default 350,000). */
  chunkBytes?: number;
}

type Sdk = typeof import("@aws-sdk/lib-dynamodb");
type Item = Record<string, unknown>;

const brotli = promisify(zlib.brotliCompress);
const unbrotli = promisify(zlib.brotliDecompress);

/** Loads the AWS SDK (only now: the CLI and the embedded store never pay for it) and makes the store. */
export async function openDynamoStore(opts: DynamoStoreOptions): Promise<DynamoStore> {
  if (!opts.tableName) throw new StoreError("no DynamoDB table named", { hint: "Set DVOL_TABLE." });
  let client: typeof import("@aws-sdk/client-dynamodb");
  let lib: Sdk;
  try {
    [client, lib] = await Promise.all([import("@aws-sdk/client-dynamodb"), import("@aws-sdk/lib-dynamodb")]);
  } catch (cause) {
    throw new StoreError(`cannot load the AWS SDK for DynamoDB table ${opts.tableName}`, {
      cause,
      hint: "Reinstall dvol's dependencies, or unset DVOL_TABLE to use the embedded store.",
    });
  }
  const timeout = opts.requestTimeoutMs ?? 5000;
  const raw = new client.DynamoDBClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestHandler: {
      connectionTimeout: Math.min(timeout, 3000),
      requestTimeout: timeout,
      throwOnRequestTimeout: true,
    },
  });
  const doc = lib.DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return new DynamoStore(raw, doc, lib, opts);
}

/** Raised inside the store when a condition fails; becomes `false` for the caller. */
class ConditionFailed extends Error {}

export class DynamoStore implements Store {
  readonly tableName: string;
  private readonly now: () => number;
  private readonly inlineJsonBytes: number;
  private readonly chunkBytes: number;
  private closed = false;

  constructor(
    private readonly raw: DynamoDBClient,
    private readonly doc: DynamoDBDocumentClient,
    private readonly sdk: Sdk,
    opts: DynamoStoreOptions,
  ) {
    this.tableName = opts.tableName;
    this.now = opts.now ?? Date.now;
    this.inlineJsonBytes = opts.inlineJsonBytes ?? 64 * 1024;
    this.chunkBytes = opts.chunkBytes ?? 350_000;
  }

  // --- requests ---------------------------------------------------------------------------

  async createRequest(request: DeletionRequest): Promise<boolean> {
    checkRequest(request);
    const { attrs, parts } = await this.encode(request);
    await this.putParts(request.id, parts);
    try {
      await this.send(`create request ${request.id}`, () =>
        this.doc.send(
          new this.sdk.PutCommand({
            TableName: this.tableName,
            Item: this.requestItem(request, attrs),
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        ),
      );
      return true;
    } catch (err) {
      await this.dropParts(request.id, parts);
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
  }

  async getRequest(id: string): Promise<DeletionRequest | null> {
    // A reader can meet parts that a concurrent update has just replaced: read again.
    for (let attempt = 1; ; attempt++) {
      const res = await this.send(`read request ${id}`, () =>
        this.doc.send(
          new this.sdk.GetCommand({ TableName: this.tableName, Key: reqKey(id), ConsistentRead: true }),
        ),
      );
      if (!res.Item) return null;
      const request = await this.decode(id, res.Item);
      if (request) return request;
      if (attempt >= 5) {
        throw new StoreError(`DynamoDB table ${this.tableName}: request ${id} has missing parts`, {
          hint: "It is being rewritten very often, or its PART items were deleted by hand.",
        });
      }
    }
  }

  async updateRequest(next: DeletionRequest, expectedVersion: number): Promise<boolean> {
    checkUpdate(next, expectedVersion);
    const { attrs, parts } = await this.encode(next);
    await this.putParts(next.id, parts);
    let old: Item | undefined;
    try {
      const res = await this.send(`update request ${next.id}`, () =>
        this.doc.send(
          new this.sdk.PutCommand({
            TableName: this.tableName,
            Item: this.requestItem(next, attrs),
            ConditionExpression: "attribute_exists(pk) AND #version = :expected",
            ExpressionAttributeNames: { "#version": "version" },
            ExpressionAttributeValues: { ":expected": expectedVersion },
            // The old item says which parts (if any) are now garbage.
            ReturnValues: "ALL_OLD",
          }),
        ),
      );
      old = res.Attributes;
    } catch (err) {
      await this.dropParts(next.id, parts);
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
    if (typeof old?.partId === "string" && typeof old.parts === "number") {
      await this.dropParts(next.id, partKeys(next.id, old.partId, old.parts));
    }
    return true;
  }

  async listRequests(opts: ListOptions = {}): Promise<DeletionRequest[]> {
    checkLimit(opts.limit);
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const out: DeletionRequest[] = [];
    if (limit === 0) return out;
    const statuses = opts.statuses ? [...new Set(opts.statuses)] : undefined;
    if (statuses?.length === 0) return out;
    const names: Record<string, string> = { "#gpk": TABLE.indexPartitionKey };
    const values: Record<string, unknown> = { ":gpk": TABLE.requestsPartition };
    let keyCondition = "#gpk = :gpk";
    if (opts.since !== undefined) {
      names["#gsk"] = TABLE.indexSortKey;
      keyCondition += " AND #gsk >= :since";
      values[":since"] = isoKey(opts.since, "since");
    }
    let filter: string | undefined;
    if (statuses) {
      names["#status"] = "status";
      filter = `#status IN (${statuses.map((_, i) => `:s${i}`).join(", ")})`;
      statuses.forEach((s, i) => {
        values[`:s${i}`] = s;
      });
    }
    let startKey: Item | undefined;
    do {
      const page = await this.send("list requests", () =>
        this.doc.send(
          new this.sdk.QueryCommand({
            TableName: this.tableName,
            IndexName: TABLE.index,
            KeyConditionExpression: keyCondition,
            ...(filter ? { FilterExpression: filter } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // Without a filter, every item read is one to return.
            ...(filter || !Number.isFinite(limit) ? {} : { Limit: limit - out.length }),
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      startKey = page.LastEvaluatedKey;
      const ids = (page.Items ?? []).map((i) => String(i.pk).slice(4));
      // The index is eventually consistent: read each request itself, and keep it if it still matches.
      for (let i = 0; i < ids.length && out.length < limit; i += 8) {
        const batch = await Promise.all(ids.slice(i, i + 8).map((id) => this.getRequest(id)));
        for (const r of batch) if (r && matchesList(r, opts) && out.length < limit) out.push(r);
      }
    } while (startKey && out.length < limit);
    return out;
  }

  // --- audit --------------------------------------------------------------------------------

  async appendAudit(record: AuditRecord): Promise<void> {
    const sk = auditKey(record);
    try {
      await this.send(`append audit of ${record.requestId}`, () =>
        this.doc.send(
          new this.sdk.PutCommand({
            TableName: this.tableName,
            Item: { pk: auditPk(record.requestId), sk, data: JSON.stringify(record) },
            // Written once, never overwritten. The same record put again (a retry) lands on the
            // same key (the digest is of its content) and is already there: nothing to do.
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        ),
      );
    } catch (err) {
      if (err instanceof ConditionFailed) return;
      throw err;
    }
  }

  async listAudit(requestId: string): Promise<AuditRecord[]> {
    const items = await this.queryAll(`read audit of ${requestId}`, auditPk(requestId), null, ["data"]);
    return items.map((i) => JSON.parse(String(i.data)) as AuditRecord);
  }

  // --- claims and memos -------------------------------------------------------------------

  async claim(key: string, expiresAt: string, now: string): Promise<boolean> {
    const exp = instantMs(expiresAt, "expiresAt");
    const nowMs = instantMs(now, "now");
    try {
      await this.send(`claim ${key}`, () =>
        this.doc.send(
          new this.sdk.PutCommand({
            TableName: this.tableName,
            Item: { pk: `CLAIM#${key}`, sk: "CLAIM", exp, ttl: ttlOf(exp) },
            ConditionExpression: "attribute_not_exists(pk) OR #exp <= :now",
            ExpressionAttributeNames: { "#exp": "exp" },
            ExpressionAttributeValues: { ":now": nowMs },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
  }

  async releaseClaim(key: string, expiresAt: string): Promise<void> {
    const exp = instantMs(expiresAt, "expiresAt");
    try {
      await this.send(`release claim ${key}`, () =>
        this.doc.send(
          new this.sdk.DeleteCommand({
            TableName: this.tableName,
            Key: { pk: `CLAIM#${key}`, sk: "CLAIM" },
            // Only the holder's claim: one taken since by another caller has another expiry.
            ConditionExpression: "#exp = :exp",
            ExpressionAttributeNames: { "#exp": "exp" },
            ExpressionAttributeValues: { ":exp": exp },
          }),
        ),
      );
    } catch (err) {
      if (err instanceof ConditionFailed) return;
      throw err;
    }
  }

  async getMemo(key: string): Promise<string | null> {
    const res = await this.send(`read memo ${key}`, () =>
      this.doc.send(
        new this.sdk.GetCommand({
          TableName: this.tableName,
          Key: { pk: `MEMO#${key}`, sk: "MEMO" },
          ConsistentRead: true,
        }),
      ),
    );
    const item = res.Item;
    if (!item) return null;
    if (typeof item.exp === "number" && item.exp <= this.now()) return null;
    return String(item.value);
  }

  async putMemo(key: string, value: string, expiresAt: string | null): Promise<void> {
    const exp = expiresAt === null ? null : instantMs(expiresAt, "expiresAt");
    const item: Item = { pk: `MEMO#${key}`, sk: "MEMO", value };
    if (exp !== null) Object.assign(item, { exp, ttl: ttlOf(exp) });
    await this.send(`write memo ${key}`, () =>
      this.doc.send(new this.sdk.PutCommand({ TableName: this.tableName, Item: item })),
    );
  }

  async deleteMemo(key: string): Promise<void> {
    await this.send(`delete memo ${key}`, () =>
      this.doc.send(
        new this.sdk.DeleteCommand({ TableName: this.tableName, Key: { pk: `MEMO#${key}`, sk: "MEMO" } }),
      ),
    );
  }

  // --- remembered sizes (issue 12, src/store/sizes.ts) ----------------------------------------
  // As a large request: compressed in the item, else in parts written before the item that
  // points at them; the item is put only if the one there was not measured later.

  async putSizes(slot: SizeSlot, snapshot: SizeSnapshot): Promise<boolean> {
    checkSnapshot(snapshot, slot);
    const at = instantMs(snapshot.measuredAt, "measuredAt");
    const pk = `SIZES#${snapshot.host}`;
    const z = await encodeSnapshot(snapshot);
    let attrs: Item = { z };
    let parts: Item[] = [];
    if (z.length > this.chunkBytes) {
      const partId = randomBytes(8).toString("hex");
      parts = sizePartKeys(pk, slot, partId, Math.ceil(z.length / this.chunkBytes)).map((key, i) => ({
        ...key,
        z: z.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes),
      }));
      attrs = { partId, parts: parts.length, zsize: z.length };
    }
    const what = `write sizes of ${snapshot.host}`;
    for (const part of parts) {
      await this.send(what, () =>
        this.doc.send(new this.sdk.PutCommand({ TableName: this.tableName, Item: part })),
      );
    }
    let old: Item | undefined;
    try {
      const res = await this.send(what, () =>
        this.doc.send(
          new this.sdk.PutCommand({
            TableName: this.tableName,
            Item: { pk, sk: slot, at, ...attrs },
            ConditionExpression: "attribute_not_exists(pk) OR #at <= :at",
            ExpressionAttributeNames: { "#at": "at" },
            ExpressionAttributeValues: { ":at": at },
            ReturnValues: "ALL_OLD",
          }),
        ),
      );
      old = res.Attributes;
    } catch (err) {
      await this.dropSizeParts(parts);
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
    if (typeof old?.partId === "string" && typeof old.parts === "number") {
      await this.dropSizeParts(sizePartKeys(pk, slot, old.partId, old.parts));
    }
    return true;
  }

  async getSizes(host: string, slot: SizeSlot): Promise<SizeSnapshot | null> {
    const pk = `SIZES#${host}`;
    const what = `read sizes of ${host}`;
    const res = await this.send(what, () =>
      this.doc.send(
        new this.sdk.GetCommand({ TableName: this.tableName, Key: { pk, sk: slot }, ConsistentRead: true }),
      ),
    );
    const item = res.Item;
    if (!item) return null;
    const where = `DynamoDB table ${this.tableName}`;
    if (item.z instanceof Uint8Array) return decodeSnapshot(item.z, where);
    if (typeof item.partId === "string" && typeof item.parts === "number") {
      const found = await this.queryAll(what, pk, `${slot}#PART#${item.partId}#`, ["z"]);
      const z = Buffer.concat(found.map((p) => p.z as Uint8Array));
      // Parts replaced by a concurrent write: as if nothing were remembered yet.
      if (found.length !== item.parts || z.length !== item.zsize) return null;
      return decodeSnapshot(z, where);
    }
    return null;
  }

  private async dropSizeParts(parts: Item[]): Promise<void> {
    await Promise.all(
      parts.map((p) =>
        this.send("delete sizes part", () =>
          this.doc.send(
            new this.sdk.DeleteCommand({ TableName: this.tableName, Key: { pk: p.pk, sk: p.sk } }),
          ),
        ).catch(() => {}),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.raw.destroy();
  }

  // --- the record in items ------------------------------------------------------------------

  private requestItem(r: DeletionRequest, attrs: Item): Item {
    return {
      ...reqKey(r.id),
      version: r.version,
      status: r.status,
      [TABLE.indexPartitionKey]: TABLE.requestsPartition,
      [TABLE.indexSortKey]: requestOrderKey(r),
      ...attrs,
    };
  }

  /** The record's attributes for the request item, and the PART items when it is too large for one. */
  private async encode(r: DeletionRequest): Promise<{ attrs: Item; parts: Item[] }> {
    const json = JSON.stringify(r);
    if (Buffer.byteLength(json) <= this.inlineJsonBytes) return { attrs: { data: json }, parts: [] };
    const z = await brotli(json, {
      params: {
        // Quality 5 with a 16 MB window: ~20 ms for 0.8 MB, and repeated names (plan, outcomes)
        // far apart in the JSON are still found.
        [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
        [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: json.length,
      },
    });
    if (z.length <= this.chunkBytes) return { attrs: { dataz: z }, parts: [] };
    const partId = randomBytes(8).toString("hex");
    const keys = partKeys(r.id, partId, Math.ceil(z.length / this.chunkBytes));
    const parts = keys.map((key, i) => ({
      ...key,
      z: z.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes),
    }));
    return { attrs: { partId, parts: parts.length, zsize: z.length }, parts };
  }

  /** The record of a request item; null when its parts are gone (replaced by a concurrent update). */
  private async decode(id: string, item: Item): Promise<DeletionRequest | null> {
    try {
      if (typeof item.data === "string") return JSON.parse(item.data) as DeletionRequest;
      if (item.dataz instanceof Uint8Array) {
        return JSON.parse((await unbrotli(item.dataz)).toString("utf8")) as DeletionRequest;
      }
      if (typeof item.partId === "string" && typeof item.parts === "number") {
        const found = await this.queryAll(`read request ${id}`, `REQ#${id}`, `PART#${item.partId}#`, ["z"]);
        const z = Buffer.concat(found.map((p) => p.z as Uint8Array));
        if (found.length !== item.parts || z.length !== item.zsize) return null;
        return JSON.parse((await unbrotli(z)).toString("utf8")) as DeletionRequest;
      }
    } catch (cause) {
      throw new StoreError(`DynamoDB table ${this.tableName}: request ${id} cannot be decoded`, {
        cause,
        hint: "The item was changed by something other than dvol.",
      });
    }
    throw new StoreError(`DynamoDB table ${this.tableName}: request ${id} has no record`, {
      hint: "The item was changed by something other than dvol.",
    });
  }

  private async putParts(id: string, parts: Item[]): Promise<void> {
    for (const part of parts) {
      await this.send(`write request ${id} (part ${String(part.sk)})`, () =>
        this.doc.send(new this.sdk.PutCommand({ TableName: this.tableName, Item: part })),
      );
    }
  }

  /** Best effort: a part left behind (a crash between writes) is only wasted space. */
  private async dropParts(id: string, parts: Item[]): Promise<void> {
    await Promise.all(
      parts.map((p) =>
        this.send(`delete request ${id} (part ${String(p.sk)})`, () =>
          this.doc.send(
            new this.sdk.DeleteCommand({ TableName: this.tableName, Key: { pk: p.pk, sk: p.sk } }),
          ),
        ).catch(() => {}),
      ),
    );
  }

  /** Every item of partition `pk` (whose sort key begins with `prefix`, when one is given). */
  private async queryAll(what: string, pk: string, prefix: string | null, attrs: string[]): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.send(what, () =>
        this.doc.send(
          new this.sdk.QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: prefix === null ? "pk = :pk" : "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: prefix === null ? { ":pk": pk } : { ":pk": pk, ":prefix": prefix },
            ProjectionExpression: attrs.map((_, i) => `#a${i}`).join(", "),
            ExpressionAttributeNames: Object.fromEntries(attrs.map((a, i) => [`#a${i}`, a])),
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** One call to DynamoDB: a failed condition becomes ConditionFailed, any other failure a StoreError. */
  private async send<T>(op: string, call: () => Promise<T>): Promise<T> {
    if (this.closed) throw closedError(`the DynamoDB store (table ${this.tableName})`);
    try {
      return await call();
    } catch (err) {
      const name = (err as { name?: unknown })?.name;
      if (name === "ConditionalCheckFailedException") throw new ConditionFailed();
      throw dynamoError(this.tableName, op, err);
    }
  }
}

function reqKey(id: string): { pk: string; sk: string } {
  return { pk: `REQ#${id}`, sk: "META" };
}

/** The partition of a request's audit trail: its own, so that IAM can deny DeleteItem on `AUDIT#*`. */
export function auditPk(requestId: string): string {
  return `AUDIT#${requestId}`;
}

function partKeys(id: string, partId: string, count: number): { pk: string; sk: string }[] {
  return Array.from({ length: count }, (_, n) => ({
    pk: `REQ#${id}`,
    sk: `PART#${partId}#${String(n).padStart(4, "0")}`,
  }));
}

function sizePartKeys(pk: string, slot: string, partId: string, count: number): { pk: string; sk: string }[] {
  return Array.from({ length: count }, (_, n) => ({
    pk,
    sk: `${slot}#PART#${partId}#${String(n).padStart(4, "0")}`,
  }));
}

function ttlOf(expMs: number): number {
  return Math.ceil(expMs / 1000);
}

const IAM = "dynamodb:GetItem, PutItem, DeleteItem and Query on the table, Query on its byCreated index";

function dynamoError(table: string, op: string, err: unknown): StoreError {
  const name = String((err as { name?: unknown })?.name ?? "Error");
  const message = redact(err instanceof Error ? err.message : String(err));
  let hint = `Check DVOL_TABLE and the worker's IAM (${IAM}).`;
  if (name === "ResourceNotFoundException") {
    hint = "Check DVOL_TABLE and the region (AWS_REGION): the table does not exist there.";
  } else if (
    /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|CredentialsProvider/i.test(name)
  ) {
    hint = `Check the AWS credentials and the worker's IAM (${IAM}).`;
  } else if (
    /Timeout|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|NetworkingError/i.test(`${name} ${message}`)
  ) {
    hint = "DynamoDB did not answer: check the network (and AWS_ENDPOINT_URL_DYNAMODB when set).";
  } else if (name === "ValidationException") {
    hint = "DynamoDB refused the request itself: this is a bug in dvol, please report it with this message.";
  } else if (/ProvisionedThroughputExceeded|RequestLimitExceeded|Throttling/i.test(name)) {
    hint = "DynamoDB is throttling the table: try again in a moment.";
  }
  // Not the SDK's error itself: its $response carries the request's headers (Authorization, with
  // the access key id), which would go wherever the error is logged.
  const cause = new Error(message);
  cause.name = name;
  const meta = (err as { $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number } })
    ?.$metadata;
  if (meta) {
    Object.assign(cause, {
      $metadata: { httpStatusCode: meta.httpStatusCode, requestId: meta.requestId, attempts: meta.attempts },
    });
  }
  return new StoreError(`DynamoDB ${op} on table ${table} failed: ${name}${message ? `: ${message}` : ""}`, {
    cause,
    hint,
  });
}
