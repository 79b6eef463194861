// `hosts` says whether each host is behind a dvol gate: the gate's `Dvol-Gate: 1` header.

import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHostsSlack } from "../../../../src/commands/hosts/slack.js";
import { renderHostsText } from "../../../../src/commands/hosts/text.js";
import { SecretResolver } from "../../../../src/config/secrets.js";
import { tlsConnectionFactory } from "../../../../src/docker/connection.js";
import { Engine } from "../../../../src/docker/engine.js";
import { hostRow } from "../../../support/read-results.js";

const ok = (host: string, gated: boolean) => ({
  host,
  ok: true as const,
  error: null,
  ...hostRow({ gated }),
});

describe("hosts: the GATED column", () => {
  it("is yes or no in the text, and a word in Slack", () => {
    const r = { command: "hosts" as const, hosts: [ok("behind", true), ok("direct", false)] };
    const [head, behind, direct] = renderHostsText(r).split("\n");
    expect(head).toMatch(/VOLUMES +GATED +ENDPOINT/);
    expect(behind).toMatch(/42 +yes +tcp:/);
    expect(direct).toMatch(/42 +no +tcp:/);
    const slack = JSON.stringify(renderHostsSlack(r).blocks);
    expect(slack).toMatch(/behind\*[^\n]*gated/);
    expect(slack).not.toMatch(/direct\*[^"]*gated/);
  });

  describe("read from the answers' header", () => {
    const dir = mkdtempSync(join(tmpdir(), "dvol-gated-"));
    const servers = ["gated", "plain"].map((kind) => ({
      path: join(dir, `${kind}.sock`),
      server: createServer((req, res) => {
        const headers: Record<string, string> = { "Content-Type": "application/json", "Api-Version": "1.41" };
        if (kind === "gated") headers["Dvol-Gate"] = "1";
        res.writeHead(200, headers);
        res.end(
          JSON.stringify(
            req.url === "/info" ? { ServerVersion: "20.10.24", Driver: "overlay2" } : { Volumes: [] },
          ),
        );
      }),
    }));
    beforeAll(async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.server.listen(s.path, () => r()))));
    });
    afterAll(() => {
      for (const s of servers) s.server.close();
    });

    it("gated when the gate says so, not otherwise", async () => {
      const connect = tlsConnectionFactory(new SecretResolver({ baseDir: dir, env: {} }));
      const got: boolean[] = [];
      for (const s of servers) {
        const conn = await connect({
          name: "h",
          endpoint: { kind: "socket", path: s.path },
          labels: {},
          timeoutMs: 5000,
        });
        got.push((await Engine.overview(conn)).gated);
        conn.close();
      }
      expect(got).toEqual([true, false]);
    });
  });
});
