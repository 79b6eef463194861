// The gate's config file: validated at start-up, every error naming the bad key.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { parseGateConfig } from "../../../src/gate/config.js";

const GOOD = `
listen: 0.0.0.0:2376
socket: /var/run/docker.sock
tls: { ca: ca.pem, cert: /etc/dvol-gate/server-cert.pem, key: /etc/dvol-gate/server-key.pem }
clients:
  - subject: dvol-bot
    allow: [read, delete]
  - pin: "sha256/${"A".repeat(43)}="
    allow: [backup]
audit: /var/log/dvol-gate.jsonl
`;

function keyOf(text: string): string | undefined {
  try {
    parseGateConfig(text, "/etc/dvol-gate/gate.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
  throw new Error("accepted");
}

describe("the gate's config", () => {
  it("reads the keys of the issue", () => {
    const c = parseGateConfig(GOOD, "/etc/dvol-gate/gate.yaml");
    expect(c.listen).toEqual({ host: "0.0.0.0", port: 2376 });
    expect(c.tls.ca).toBe("/etc/dvol-gate/ca.pem");
    expect(c.clients.map((x) => [x.id, [...x.allow]])).toEqual([
      ["subject:dvol-bot", ["read", "delete"]],
      [`pin:sha256/${"A".repeat(43)}=`, ["backup"]],
    ]);
    expect(c.audit).toBe("/var/log/dvol-gate.jsonl");
    expect(c.deny).toEqual([]);
    expect(c.deletesPerMinute).toBe(60);
  });

  it("names the bad key", () => {
    expect(keyOf(GOOD.replace("0.0.0.0:2376", "2376"))).toBe("listen");
    expect(keyOf(GOOD.replace("socket: /var/run/docker.sock", "socket: docker.sock"))).toBe("socket");
    expect(keyOf(GOOD.replace("allow: [read, delete]", "allow: [read, root]"))).toBe("clients[0].allow[1]");
    expect(keyOf(GOOD.replace("allow: [backup]", "allow: []"))).toBe("clients[1].allow");
    expect(keyOf(GOOD.replace(`"sha256/${"A".repeat(43)}="`, "md5/abc"))).toBe("clients[1].pin");
    expect(keyOf(GOOD.replace("ca: ca.pem,", "ca: ca.pem, crl: x.pem,"))).toBe("tls.crl");
    expect(keyOf(`${GOOD}deletesPerMinute: -1\n`)).toBe("deletesPerMinute");
    expect(keyOf(`${GOOD}deny: "*postgres*"\n`)).toBe("deny");
    expect(keyOf(`${GOOD}hosts: []\n`)).toBe("hosts");
    expect(keyOf(GOOD.replace(/^socket:.*$/m, ""))).toBe("socket");
    expect(keyOf(GOOD.replace("subject: dvol-bot", `pin: "sha256/${"A".repeat(43)}="`))).toBe("clients[1]");
  });
});
