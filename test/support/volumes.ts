// Volumes built by hand, and `ls` as a user types it, for the tests of ls's filters and text.
import type { LsCommand } from "../../src/commands/ls/run.js";
import { selectVolumes } from "../../src/commands/ls/run.js";
import { parseCommand } from "../../src/commands/parse.js";
import type { Volume } from "../../src/docker/model.js";

export const PROJECT = "com.docker.compose.project";

export function vol(name: string, over: Partial<Volume> = {}): Volume {
  return {
    name,
    driver: "local",
    mountpoint: `/var/lib/docker/volumes/${name}/_data`,
    scope: "local",
    createdAt: "2026-01-01T00:00:00Z",
    labels: {},
    options: {},
    sizeBytes: 1000,
    refCount: 0,
    ...over,
  };
}

export const VOLUMES: Volume[] = [
  vol("shop_db-data", {
    labels: { [PROJECT]: "shop", "com.docker.compose.volume": "db-data", env: "prod" },
    sizeBytes: 5_242_880,
    refCount: 1,
    createdAt: "2026-11-29T13:51:00Z",
  }),
  vol("shop_cache", {
    labels: { [PROJECT]: "shop", env: "dev" },
    sizeBytes: 0,
    refCount: 0,
    createdAt: "2026-03-01T00:00:00Z",
  }),
  vol("blog_uploads", {
    labels: { [PROJECT]: "blog", backup: "" },
    sizeBytes: 42_000,
    refCount: 2,
    createdAt: "2025-12-24T18:00:00Z",
  }),
  vol("nfs-share", { driver: "nfs", sizeBytes: null, refCount: null, createdAt: null }),
  vol("Old-Cache", { sizeBytes: 900_000_000, refCount: 0, createdAt: "2024-06-01T00:00:00Z" }),
  vol("scratch", {
    labels: { env: "prod" },
    sizeBytes: null,
    refCount: 0,
    createdAt: "2026-05-05T05:05:05Z",
  }),
];

/** The command exactly as a user would type it. */
export function cmd(...options: string[]): LsCommand {
  const c = parseCommand(["ls", "host1", ...options]);
  if (c.name !== "ls") throw new Error("not ls");
  return c;
}

export const namesOf = (...options: string[]) =>
  selectVolumes(VOLUMES, cmd(...options)).volumes.map((v) => v.name);
