// Results of the read commands built by hand, and what a user reads in their Slack messages, for
// the tests of the commands' Slack renderings.
import type { KnownBlock } from "@slack/types";
import type { SlackMessage } from "../../src/blocks/message.js";
import type { HostRow } from "../../src/commands/hosts/run.js";
import type { InfoData } from "../../src/commands/info/run.js";
import type { InspectResult, VolumeDetail } from "../../src/commands/inspect/run.js";
import { type LsResult, type LsTotals, lsTotals, type VolumeRow } from "../../src/commands/ls/run.js";
import type { HostFailureResult } from "../../src/docker/fanout.js";
import type { ContainerUse } from "../../src/docker/model.js";

export const MB = 1_000_000;

/** Sizes measured during the command (shown without an age). */
export const FRESH_SIZES = { measuredAt: "2026-11-30T08:00:00Z", fresh: true, late: null };

export function vol(name: string, over: Partial<VolumeRow> = {}): VolumeRow {
  const refCount = over.refCount === undefined ? 1 : over.refCount;
  return {
    name,
    driver: "local",
    sizeBytes: 5_242_880,
    sizeMeasuredAt: "2026-11-30T08:00:00Z",
    refCount,
    dangling: refCount === null ? null : refCount === 0,
    createdAt: "2026-11-29T13:51:00Z",
    project: null,
    labels: {},
    ...over,
  };
}

/**
 * A host's `ls` data: its rows, and, when --limit cut the list, how many matched and their totals
 * (by default those of the rows: nothing left out).
 */
export function lsHost(
  host: string,
  volumes: VolumeRow[],
  matched = volumes.length,
  totals: LsTotals = lsTotals(volumes),
): LsResult["hosts"][number] {
  return { host, ok: true, error: null, matched, shown: volumes.length, totals, volumes, sizes: FRESH_SIZES };
}

export function down(host: string, detail: string, hint: string | null = null): HostFailureResult {
  return { host, ok: false, error: `${host}: ${detail}`, hint };
}

/** `count` volumes on `host`, named `<prefix>-00000`…, sizes spread out (every size distinct). */
export function manyVolumes(prefix: string, count: number): VolumeRow[] {
  return Array.from({ length: count }, (_, i) =>
    vol(`${prefix}-${String(i).padStart(5, "0")}`, {
      sizeBytes: ((i * 7919) % count) * 1000 + i,
      refCount: i % 3 === 0 ? 0 : 1,
      project: i % 5 === 0 ? "shop" : null,
    }),
  );
}

export function largest(volumes: readonly VolumeRow[], n: number): VolumeRow[] {
  return [...volumes].sort((a, b) => (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1)).slice(0, n);
}

export const hostRow = (over: Partial<HostRow> = {}): HostRow => ({
  endpoint: "tcp://10.0.0.5:2376",
  labels: {},
  engineVersion: "28.0.1",
  apiVersion: "1.51",
  engineApiVersion: "1.51",
  storageDriver: "overlay2",
  volumeCount: 42,
  gated: false,
  ...over,
});

export const infoData = (over: Partial<InfoData> = {}): InfoData => ({
  engineVersion: "20.10.24",
  apiVersion: "1.41",
  storage: {
    serverVersion: "20.10.24",
    storageDriver: "overlay2",
    dockerRootDir: "/var/lib/docker",
    driverStatus: [
      ["Backing Filesystem", "extfs"],
      ["Supports d_type", "true"],
      ["Native Overlay Diff", "true"],
    ],
    containerdSnapshotter: false,
    os: "Debian GNU/Linux 12 (bookworm)",
    kernelVersion: "6.1.0",
  },
  diskUsage: {
    images: { count: 3, active: 1, sizeBytes: 120 * MB, reclaimableBytes: 80 * MB },
    containers: { count: 2, active: 1, sizeBytes: 12_000, reclaimableBytes: 0 },
    volumes: { count: 4, active: 2, sizeBytes: 5_242_880, reclaimableBytes: 1_048_576 },
    buildCache: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
  },
  ...over,
});

export const container = (name: string, over: Partial<ContainerUse> = {}): ContainerUse => ({
  id: `${name}-id`,
  name,
  state: "running",
  image: "busybox:latest",
  mountPath: "/data",
  readOnly: false,
  ...over,
});

export function inspectResult(over: Partial<VolumeDetail> = {}): InspectResult {
  const volume: VolumeDetail = {
    ...vol("shop_db-data", { project: "shop", labels: { "com.docker.compose.project": "shop" } }),
    mountpoint: "/var/lib/docker/volumes/shop_db-data/_data",
    scope: "local",
    options: {},
    containers: [container("shop-db-1"), container("backup", { state: "exited", readOnly: true })],
    ...over,
  };
  return { command: "inspect", hosts: [{ host: "host1", ok: true, error: null, volume }] };
}

export function blockTexts(b: KnownBlock): string[] {
  const o = b as unknown as {
    text?: { text?: string };
    fields?: { text: string }[];
    elements?: { text?: string }[];
  };
  return [
    ...(o.text?.text === undefined ? [] : [o.text.text]),
    ...(o.fields ?? []).map((f) => f.text),
    ...(o.elements ?? []).flatMap((e) => (e.text === undefined ? [] : [e.text])),
  ];
}

/** Every text of the message as sent (mrkdwn, escapes included). */
export function raw(msg: SlackMessage): string {
  return [msg.text, ...msg.blocks.flatMap(blockTexts)].join("\n");
}

/** The blocks as Slack shows them: escapes undone. */
export function shown(msg: SlackMessage): string {
  return msg.blocks
    .flatMap(blockTexts)
    .join("\n")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The lines inside the message's code blocks, escapes undone. */
export function codeLines(msg: SlackMessage): string[] {
  return [...shown(msg).matchAll(/```\n([\s\S]*?)\n```/g)].flatMap((m) => (m[1] ?? "").split("\n"));
}

export const sectionsOf = (msg: SlackMessage) => msg.blocks.filter((b) => b.type === "section");
