// dynalite, a DynamoDB-compatible server (no TransactWriteItems, no TTL), started in-process on a
// free loopback port for tests that need the DynamoDB store. Tables are created with the design of
// src/store/dynamo.ts (tableDefinition), the one serverless.yml declares.
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { type DynamoStoreOptions, tableDefinition } from "../../src/store/dynamo.js";

export interface Dynalite {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  region: string;
  /** Fake, static: dynalite checks that requests are signed, not by whom. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Options for openDynamoStore, for a table made with createTable. */
  storeOptions(tableName: string): DynamoStoreOptions;
  /** Makes a table of dvol's design (a new name each time unless given) and waits until it is ACTIVE. */
  createTable(name?: string): Promise<string>;
  /** A raw client (for tests that look at items), destroyed by stop(). */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

let tables = 0;

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const region = "us-east-1";
  const credentials = { accessKeyId: "AKIDTESTDYNALITE", secretAccessKey: "dynalite-fake-secret" };
  const client = new DynamoDBClient({ endpoint, region, credentials });

  return {
    endpoint,
    region,
    credentials,
    client,
    storeOptions: (tableName) => ({ tableName, endpoint, region, credentials }),
    async createTable(name) {
      const tableName = name ?? `dvol-test-${process.pid}-${++tables}`;
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
      for (let i = 0; ; i++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        const ready =
          Table?.TableStatus === "ACTIVE" &&
          (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === "ACTIVE");
        if (ready) return tableName;
        if (i > 200) throw new Error(`dynalite: table ${tableName} is still ${Table?.TableStatus}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => {
        server.close((err?: Error) => (err ? reject(err) : resolve()));
        // Keep-alive sockets of SDK clients would hold close() up.
        server.closeAllConnections();
      });
    },
  };
}
