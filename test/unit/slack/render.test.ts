// Unit tests of the Block Kit renderings (src/slack/render.ts, render-error.ts) and of the limits
// checker (src/slack/limits.ts), on results built by hand: what a user reads in the channel.
import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import {
  checkMessage,
  MAX_BLOCKS,
  MAX_BLOCKS_TOTAL,
  MAX_CONTEXT_ELEMENTS,
  MAX_FIELD_TEXT,
  MAX_FIELDS,
  MAX_HEADER_TEXT,
  MAX_MESSAGE_TEXT,
  MAX_SECTION_TEXT,
} from "../../../src/blocks/limits.js";
import type { SlackMessage } from "../../../src/blocks/message.js";
import { runHelp } from "../../../src/commands/help.js";
import type { HostRow, HostsResult } from "../../../src/commands/hosts.js";
import type { InfoData } from "../../../src/commands/info.js";
import type { InspectResult, VolumeDetail } from "../../../src/commands/inspect.js";
import type { LsResult, VolumeRow } from "../../../src/commands/ls.js";
import type { HostFailureResult } from "../../../src/docker/fanout.js";
import type { ContainerUse } from "../../../src/docker/model.js";
import { InvalidVolumeNameError, UnknownHostError, UsageError } from "../../../src/errors.js";
import { renderSlack } from "../../../src/slack/render.js";
import { renderError } from "../../../src/slack/render-error.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

// ------------------------------------------------------------------------------------------------
// results built by hand

const MB = 1_000_000;

function vol(name: string, over: Partial<VolumeRow> = {}): VolumeRow {
  const refCount = over.refCount === undefined ? 1 : over.refCount;
  return {
    name,
    driver: "local",
    sizeBytes: 5_242_880,
    refCount,
    dangling: refCount === null ? null : refCount === 0,
    createdAt: "2026-11-29T13:51:00Z",
    project: null,
    labels: {},
    ...over,
  };
}

function lsHost(host: string, volumes: VolumeRow[], matched = volumes.length): LsResult["hosts"][number] {
  return { host, ok: true, error: null, matched, volumes };
}

function down(host: string, detail: string, hint: string | null = null): HostFailureResult {
  return { host, ok: false, error: `${host}: ${detail}`, hint };
}

/** `count` volumes on `host`, named `<prefix>-00000`…, sizes spread out (every size distinct). */
function manyVolumes(prefix: string, count: number): VolumeRow[] {
  return Array.from({ length: count }, (_, i) =>
    vol(`${prefix}-${String(i).padStart(5, "0")}`, {
      sizeBytes: ((i * 7919) % count) * 1000 + i,
      refCount: i % 3 === 0 ? 0 : 1,
      project: i % 5 === 0 ? "shop" : null,
    }),
  );
}

function largest(volumes: readonly VolumeRow[], n: number): VolumeRow[] {
  return [...volumes].sort((a, b) => (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1)).slice(0, n);
}

const hostRow = (over: Partial<HostRow> = {}): HostRow => ({
  endpoint: "tcp://10.0.0.5:2376",
  labels: {},
  engineVersion: "28.0.1",
  apiVersion: "1.51",
  engineApiVersion: "1.51",
  storageDriver: "overlay2",
  volumeCount: 42,
  ...over,
});

const infoData = (over: Partial<InfoData> = {}): InfoData => ({
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

const container = (name: string, over: Partial<ContainerUse> = {}): ContainerUse => ({
  id: `${name}-id`,
  name,
  state: "running",
  image: "busybox:latest",
  mountPath: "/data",
  readOnly: false,
  ...over,
});

function inspectResult(over: Partial<VolumeDetail> = {}): InspectResult {
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

// ------------------------------------------------------------------------------------------------
// what the user sees

function blockTexts(b: KnownBlock): string[] {
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
function raw(msg: SlackMessage): string {
  return [msg.text, ...msg.blocks.flatMap(blockTexts)].join("\n");
}

/** The blocks as Slack shows them: escapes undone. */
function shown(msg: SlackMessage): string {
  return msg.blocks
    .flatMap(blockTexts)
    .join("\n")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The lines inside the message's code blocks, escapes undone. */
function codeLines(msg: SlackMessage): string[] {
  return [...shown(msg).matchAll(/```\n([\s\S]*?)\n```/g)].flatMap((m) => (m[1] ?? "").split("\n"));
}

const sectionsOf = (msg: SlackMessage) => msg.blocks.filter((b) => b.type === "section");

// ------------------------------------------------------------------------------------------------

describe("renderSlack: help", () => {
  it("shows every command with its summary, within limits", () => {
    const msg = renderSlack(runHelp(null));
    expectWithinSlackLimits(msg);
    const text = shown(msg);
    for (const name of ["help", "hosts", "info", "ls", "inspect"]) expect(text).toContain(`\`${name}\``);
    expect(text).toContain("volumes with size");
    expect(msg.file).toBeUndefined();
  });

  it("puts a command's usage and examples in code blocks, as typed in Slack", () => {
    const msg = renderSlack(runHelp("ls"));
    expectWithinSlackLimits(msg);
    const code = codeLines(msg);
    expect(code[0]).toMatch(/^\/dvol ls <target> \[--dangling\]/);
    expect(code).toContain("/dvol ls all --dangling --sort size");
    expect(shown(msg)).toContain("`--sort name|size|created`");
    // the <target> placeholder is escaped as Slack requires
    expect(raw(msg)).toContain("/dvol ls &lt;target&gt;");
  });
});

describe("renderSlack: hosts", () => {
  const result: HostsResult = {
    command: "hosts",
    hosts: [
      { host: "host1", ok: true, error: null, ...hostRow() },
      down(
        "host2",
        "connection refused (tcp://10.0.0.6:2376)",
        "Check that dockerd listens on that address.",
      ),
      {
        host: "old",
        ok: true,
        error: null,
        ...hostRow({
          engineVersion: "20.10.24",
          apiVersion: "1.41",
          engineApiVersion: "1.41",
          storageDriver: "vfs",
          volumeCount: 1,
        }),
      },
    ],
  };

  it("has one line per host, in order: ✅ with engine, API, storage driver and volume count", () => {
    const msg = renderSlack(result);
    expectWithinSlackLimits(msg);
    const lines = shown(msg).split("\n");
    const h1 = lines.find((l) => l.includes("*host1*")) ?? "";
    expect(h1).toMatch(/^✅ /);
    expect(h1).toContain("Docker 28.0.1");
    expect(h1).toContain("API 1.51");
    expect(h1).toContain("overlay2");
    expect(h1).toContain("42 volumes");
    const old = lines.find((l) => l.includes("*old*")) ?? "";
    expect(old).toMatch(/^✅ .*Docker 20\.10\.24.*API 1\.41.*vfs.*1 volume\b/);
    const order = ["*host1*", "*host2*", "*old*"].map((n) => shown(msg).indexOf(n));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("shows an unreachable host with ❌, the reason and the hint", () => {
    const msg = renderSlack(result);
    const text = shown(msg);
    expect(text).toMatch(/❌ \*host2\* unreachable: connection refused \(tcp:\/\/10\.0\.0\.6:2376\)/);
    expect(text).toContain("Check that dockerd listens on that address.");
    expect(msg.text).toContain("unreachable: host2");
    expect(shown(msg)).toContain("2 reachable, 1 unreachable");
  });

  it("attaches the whole list when there are too many hosts for one message", () => {
    const many: HostsResult = {
      command: "hosts",
      hosts: Array.from({ length: 400 }, (_, i) =>
        i % 10 === 9
          ? down(`host-${i}`, "timed out after 10 s")
          : { host: `host-${i}`, ok: true, error: null, ...hostRow() },
      ),
    };
    const msg = renderSlack(many);
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-hosts-400-hosts.txt");
    for (let i = 0; i < 400; i++) expect(msg.file?.content).toContain(`host-${i} `);
    expect(shown(msg)).toContain("attached as dvol-hosts-400-hosts.txt");
    expect(shown(msg)).toContain("the rest is in dvol-hosts-400-hosts.txt");
  });
});

describe("renderSlack: info", () => {
  it("shows the storage facts and the df table with sizes and bars", () => {
    const msg = renderSlack({
      command: "info",
      hosts: [{ host: "host1", ok: true, error: null, ...infoData() }],
    });
    expectWithinSlackLimits(msg);
    const text = shown(msg);
    expect(text).toContain("*Storage Driver:* overlay2");
    expect(text).toContain("*Docker Root Dir:* `/var/lib/docker`");
    expect(text).toContain("Backing Filesystem: extfs");
    expect(text).toContain("Supports d_type: true");
    expect(text).toContain("*containerd snapshotter:* no");
    const code = codeLines(msg);
    expect(code[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE +SHARE$/);
    const images = code.find((l) => l.startsWith("Images")) ?? "";
    expect(images).toMatch(/Images +3 +1 +120 MB +80\.0 MB \(67%\) +█+.* 96%$/);
    expect(code.find((l) => l.startsWith("Local Volumes"))).toMatch(/5\.2 MB +1\.0 MB \(20%\)/);
  });

  it("names a host that could not be asked, with its error", () => {
    const msg = renderSlack({
      command: "info",
      hosts: [down("host9", "TLS: unknown certificate authority", "Check tls.ca of host9.")],
    });
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain("❌ *host9* unavailable: TLS: unknown certificate authority");
    expect(shown(msg)).toContain("Check tls.ca of host9.");
  });
});

describe("renderSlack: ls", () => {
  it("shows a host's count, total and dangling, then its volumes in the command's order", () => {
    const volumes = [
      vol("big", { sizeBytes: 2_500_000_000, refCount: 0 }),
      vol("app_data", { sizeBytes: 5_242_880, project: "app" }),
      vol("anon", { sizeBytes: null, refCount: null }),
    ];
    const msg = renderSlack({ command: "ls", hosts: [lsHost("host1", volumes)] });
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const text = shown(msg);
    expect(text).toContain("*host1* · 3 volumes · 2.5 GB (size unknown for 1) · 1 dangling (2.5 GB)");
    const code = codeLines(msg);
    expect(code[0]).toMatch(/^NAME +SIZE +REFS +PROJECT +CREATED +DANGLING$/);
    expect(code.slice(1).map((l) => l.split(/ +/)[0])).toEqual(["big", "app_data", "anon"]);
    expect(code[1]).toMatch(/^big +2\.5 GB +0 +- +2026-11-29 13:51 +yes$/);
    expect(code[2]).toMatch(/^app_data +5\.2 MB +1 +app +2026-11-29 13:51 +no$/);
    expect(code[3]).toMatch(/^anon +\? +\? +- +2026-11-29 13:51 +\?$/);
    expect(raw(msg)).not.toContain("5242880");
    expect(msg.text).toBe("dvol ls host1: 3 volumes, 2.5 GB, 1 dangling");
  });

  it("says when --limit left volumes out", () => {
    const msg = renderSlack({ command: "ls", hosts: [lsHost("host1", [vol("a"), vol("b")], 40)] });
    expect(shown(msg)).toContain("40 volumes (showing 2)");
  });

  it("shows each host's share with a bar across several hosts, and a failed host with its error", () => {
    const msg = renderSlack({
      command: "ls",
      hosts: [
        lsHost("host1", [vol("a", { sizeBytes: 750 * MB })]),
        lsHost("host2", [vol("b", { sizeBytes: 250 * MB, refCount: 0 })]),
        down("host3", "connection refused", "Is dockerd running on host3?"),
        lsHost("empty", []),
      ],
    });
    expectWithinSlackLimits(msg);
    const code = codeLines(msg);
    expect(code).toContain("host1        1  750 MB           0  ███████▌   75%");
    expect(code).toContain("host2        1  250 MB  1 (250 MB)  ██▌        25%");
    expect(code.find((l) => l.startsWith("host3"))).toMatch(/unavailable$/);
    expect(shown(msg)).toContain("❌ *host3* unavailable: connection refused");
    expect(shown(msg)).toContain("Is dockerd running on host3?");
    expect(shown(msg)).toContain("*empty* · no volumes");
    expect(msg.text).toContain("unavailable: host3");
  });

  it("adds a DRIVER column only when a volume is not local", () => {
    const msg = renderSlack({ command: "ls", hosts: [lsHost("h", [vol("nfs-share", { driver: "nfs" })])] });
    expect(codeLines(msg)[0]).toMatch(/^NAME +DRIVER +SIZE/);
    expect(codeLines(msg)[1]).toMatch(/^nfs-share +nfs +5\.2 MB/);
  });

  it("splits a long table over several sections, each within 3,000 characters, none left out", () => {
    const volumes = Array.from({ length: 70 }, (_, i) =>
      vol(`${String(i).padStart(3, "0")}${"f".repeat(61)}`, { sizeBytes: i * MB }),
    );
    const msg = renderSlack({ command: "ls", hosts: [lsHost("host1", volumes)] });
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const tables = sectionsOf(msg).filter((b) => blockTexts(b).join("").includes("```"));
    expect(tables.length).toBeGreaterThan(1);
    for (const b of tables) expect(blockTexts(b).join("").length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    const names = codeLines(msg).map((l) => l.split(" ")[0]);
    expect(names.filter((n) => n !== "NAME")).toEqual(volumes.map((v) => v.name));
    // every block of the table starts with its header row
    expect(names.filter((n) => n === "NAME")).toHaveLength(tables.length);
  });

  it("escapes <, > and & in volume names, projects and errors: a label never pings anyone", () => {
    const msg = renderSlack({
      command: "ls",
      hosts: [
        lsHost("host1", [vol("data", { project: "<@U123> & <!channel>" })]),
        down("host2", "engine said <!here> & left"),
      ],
    });
    expectWithinSlackLimits(msg);
    const text = raw(msg);
    expect(text).toContain("&lt;@U123&gt; &amp; &lt;!channel&gt;");
    expect(text).toContain("engine said &lt;!here&gt; &amp; left");
    expect(text).not.toMatch(/<[@!]/);
    expect(text.replace(/&(amp|lt|gt);/g, "")).not.toMatch(/[<>&]/);
    expect(shown(msg)).toContain("<@U123> & <!channel>");
  });

  it("keeps a code block closed whatever a value contains", () => {
    const msg = renderSlack({ command: "ls", hosts: [lsHost("h", [vol("v", { project: "a```b" })])] });
    expect(codeLines(msg)[1]).toMatch(/^v .*a`\u200b`\u200b`b/);
  });

  it("one host with 5,000 volumes: a summary naming the largest, the whole list attached", () => {
    const volumes = manyVolumes("vol", 5000);
    const result: LsResult = { command: "ls", hosts: [lsHost("host1", volumes)] };
    const msg = renderSlack(result);
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeDefined();
    expect(msg.file?.filename).toBe("dvol-ls-host1.txt");
    for (const v of volumes) expect(msg.file?.content).toContain(`${v.name} `);
    const text = shown(msg);
    expect(text).toContain("Full list attached as dvol-ls-host1.txt");
    expect(text).toContain("*host1* · 5,000 volumes");
    expect(text).toContain("1,667 dangling");
    const top = largest(volumes, 5);
    const listed = codeLines(msg)
      .filter((l) => !l.startsWith("NAME"))
      .map((l) => l.split(" ")[0]);
    expect(listed).toEqual(top.map((v) => v.name));
    expect(msg.text).toContain("5,000 volumes");
  });

  it("20 hosts × 500 volumes: each host's totals and largest volumes, the whole list attached", () => {
    const hosts = Array.from({ length: 20 }, (_, h) => lsHost(`web-${h}`, manyVolumes(`web${h}-data`, 500)));
    const msg = renderSlack({ command: "ls", hosts });
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-ls-20-hosts.txt");
    const content = msg.file?.content ?? "";
    for (const h of hosts) for (const v of h.ok ? h.volumes : []) expect(content).toContain(`${v.name} `);
    const text = shown(msg);
    expect(text).toContain("Full list attached as dvol-ls-20-hosts.txt");
    expect(text).toContain("10,000 volumes on 20 hosts");
    for (const h of hosts) {
      expect(text).toContain(`*${h.host}* · 500 volumes`);
      if (h.ok) expect(text).toContain(largest(h.volumes, 1)[0]?.name);
    }
    // the share of each host, as a bar
    expect(codeLines(msg).filter((l) => /^web-\d+ .*5%$/.test(l))).toHaveLength(20);
  });

  it("never leaves data out silently: all in the blocks, or all in the file and the message says so", () => {
    for (const count of [1, 40, 120, 300, 2000]) {
      const volumes = manyVolumes("v", count);
      const msg = renderSlack({ command: "ls", hosts: [lsHost("h", volumes), down("x", "timed out")] });
      expectWithinSlackLimits(msg);
      expect(shown(msg)).toContain("❌ *x* unavailable: timed out");
      if (msg.file) {
        expect(shown(msg)).toContain(`Full list attached as ${msg.file.filename}`);
        for (const v of volumes) expect(msg.file.content).toContain(v.name);
        expect(msg.file.content).toContain("x: unavailable: timed out");
      } else {
        const names = new Set(codeLines(msg).map((l) => l.split(" ")[0]));
        for (const v of volumes) expect(names.has(v.name)).toBe(true);
      }
    }
  });

  it("stays within limits with hundreds of hosts, telling where the rest is", () => {
    const hosts = Array.from({ length: 300 }, (_, h) => lsHost(`node-${h}`, manyVolumes(`n${h}`, 20)));
    const msg = renderSlack({ command: "ls", hosts });
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-ls-300-hosts.txt");
    for (const h of hosts) expect(msg.file?.content).toContain(`${h.host}: 20 volumes`);
    expect(shown(msg)).toContain("dvol-ls-300-hosts.txt");
  });
});

describe("renderSlack: inspect", () => {
  it("shows the volume's facts and one line per container", () => {
    const msg = renderSlack(inspectResult());
    expectWithinSlackLimits(msg);
    const text = shown(msg);
    expect(text).toContain("*shop_db-data* on *host1*");
    expect(text).toContain("*Size:* 5.2 MB");
    expect(text).toContain("*Created:* 2026-11-29 13:51 UTC");
    expect(text).toContain("*Compose project:* shop");
    expect(text).toContain("*Mountpoint:* `/var/lib/docker/volumes/shop_db-data/_data`");
    expect(text).toContain("*Options:* none");
    expect(codeLines(msg)).toContain("com.docker.compose.project=shop");
    expect(text).toContain("*Used by 2 containers:*");
    expect(text).toContain("• *shop-db-1* (running) · image `busybox:latest` · at `/data` · read-write");
    expect(text).toContain("• *backup* (exited) · image `busybox:latest` · at `/data` · read-only");
  });

  it("escapes labels and values that look like mentions", () => {
    const msg = renderSlack(inspectResult({ labels: { "owner<@U123>": "ops & <@U123>" } }));
    expectWithinSlackLimits(msg);
    expect(raw(msg)).toContain("owner&lt;@U123&gt;=ops &amp; &lt;@U123&gt;");
    expect(raw(msg)).not.toContain("<@U123>");
  });

  it("attaches the output when a volume is used by more containers than a message holds", () => {
    const containers = Array.from({ length: 1500 }, (_, i) => container(`job-${i}`));
    const msg = renderSlack(inspectResult({ containers }));
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-inspect-host1.txt");
    for (const c of containers) expect(msg.file?.content).toContain(`${c.name} `);
    expect(shown(msg)).toContain("attached as dvol-inspect-host1.txt");
  });
});

describe("renderError", () => {
  it("says what happened, what to do, and shows the usage as typed in Slack", () => {
    const err = new UsageError("ls: missing <target>", {
      usage: "dvol ls <target> [--dangling]",
      hint: "See: help ls",
    });
    const msg = renderError(err);
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain(":warning: ls: missing <target>");
    expect(shown(msg)).toContain("See: help ls");
    expect(codeLines(msg)).toEqual(["/dvol ls <target> [--dangling]"]);
    expect(msg.text).toContain("ls: missing &lt;target&gt;");
  });

  it("takes the usage it is given over none", () => {
    const msg = renderError(new InvalidVolumeNameError("bad/name"), "dvol inspect <host> <volume>");
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain('invalid volume name "bad/name"');
    expect(shown(msg)).toContain("nothing was sent to the host");
    expect(codeLines(msg)).toEqual(["/dvol inspect <host> <volume>"]);
  });

  it("lists the registered hosts for an unknown host", () => {
    const msg = renderError(new UnknownHostError("hots1", ["host1", "host2"]));
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain('unknown host "hots1"');
    expect(shown(msg)).toContain("Registered hosts: host1, host2.");
    expect(codeLines(msg)).toEqual([]);
  });

  it("gives advice for an unexpected error, escaped, within limits even when huge", () => {
    const msg = renderError(new Error(`boom <@U123> & ${"x".repeat(20_000)}`));
    expectWithinSlackLimits(msg);
    expect(raw(msg)).toContain("unexpected error: boom &lt;@U123&gt; &amp;");
    expect(raw(msg)).not.toContain("<@U123>");
    expect(shown(msg)).toContain("try again");
    const s = renderError("a string was thrown");
    expectWithinSlackLimits(s);
    expect(shown(s)).toContain("unexpected error: a string was thrown");
  });
});

describe("checkMessage", () => {
  const ok: SlackMessage = {
    text: "fine",
    blocks: [
      { type: "header", text: { type: "plain_text", text: "Title" } },
      { type: "section", text: { type: "mrkdwn", text: "hello" } },
      { type: "context", elements: [{ type: "mrkdwn", text: "small print" }] },
    ],
  };

  it("accepts a message within every limit", () => {
    expect(checkMessage(ok)).toEqual([]);
  });

  it("reports each kind of violation of a deliberately bad message", () => {
    const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
    const bad: SlackMessage = {
      text: "t".repeat(MAX_MESSAGE_TEXT + 1),
      blocks: [
        section("s".repeat(MAX_SECTION_TEXT + 1)),
        { type: "header", text: { type: "plain_text", text: "h".repeat(MAX_HEADER_TEXT + 1) } },
        {
          type: "context",
          elements: Array.from({ length: MAX_CONTEXT_ELEMENTS + 1 }, () => ({
            type: "mrkdwn" as const,
            text: "c",
          })),
        },
        {
          type: "section",
          fields: [
            ...Array.from({ length: MAX_FIELDS }, () => ({ type: "mrkdwn" as const, text: "f" })),
            { type: "mrkdwn", text: "F".repeat(MAX_FIELD_TEXT + 1) },
          ],
        },
        section(""),
        ...Array.from({ length: MAX_BLOCKS }, () => section("x".repeat(300))),
      ],
    };
    const v = checkMessage(bad);
    const expectOne = (re: RegExp) =>
      expect(
        v.filter((s) => re.test(s)),
        `${re} in ${v.join("\n")}`,
      ).toHaveLength(1);
    expectOne(/^text is 4,001 characters, more than 4,000$/);
    expectOne(/^55 blocks, more than 50$/);
    expectOne(/^blocks\[0\] \(section\) text is 3,001 characters, more than 3,000$/);
    expectOne(/^blocks\[1\] \(header\) text is 151 characters, more than 150$/);
    expectOne(/^blocks\[2\] \(context\) has 11 elements, more than 10$/);
    expectOne(/^blocks\[3\] \(section\) has 11 fields, more than 10$/);
    expectOne(/^blocks\[3\] \(section\) fields\[10\] is 2,001 characters, more than 2,000$/);
    expectOne(/^blocks\[4\] \(section\) text is empty/);
    expectOne(/^blocks are [\d,]+ characters of JSON in all, more than 12,000/);
    expect(v).toHaveLength(9);
  });

  it("reports blocks too long in all even when each block is within its own limit", () => {
    const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
    const msg: SlackMessage = {
      text: "t",
      blocks: Array.from({ length: 5 }, () => section("y".repeat(2900))),
    };
    const v = checkMessage(msg);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain(`more than ${MAX_BLOCKS_TOTAL.toLocaleString("en-US")}`);
  });

  it("reports an empty fallback text, a mrkdwn header and oversized buttons", () => {
    const msg: SlackMessage = {
      text: " ",
      blocks: [
        { type: "header", text: { type: "mrkdwn", text: "x" } as never },
        {
          type: "actions",
          elements: Array.from({ length: 26 }, (_, i) => ({
            type: "button" as const,
            action_id: `a${i}`,
            text: { type: "plain_text" as const, text: i === 0 ? "B".repeat(76) : "ok" },
          })),
        },
      ],
    };
    const v = checkMessage(msg);
    expect(v).toContain("text is empty: Slack needs it for notifications and screen readers");
    expect(v).toContain("blocks[0] (header) text must be plain_text, not mrkdwn");
    expect(v).toContain("blocks[1] (actions) has 26 elements, more than 25");
    expect(v).toContain("blocks[1] (actions) elements[0] text is 76 characters, more than 75");
    expect(v).toHaveLength(4);
  });

  it("is what expectWithinSlackLimits asserts", () => {
    expect(() => expectWithinSlackLimits(ok)).not.toThrow();
    expect(() => expectWithinSlackLimits({ ...ok, text: "" })).toThrow(/text is empty/);
  });
});
