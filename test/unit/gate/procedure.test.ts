// The README's procedure for running the gate (README "The gate", "Running it") and the files it
// ships: docs/gate.example.yaml is a valid gate config and is the one the README shows, and
// docs/dvol-gate.service has the settings the README names.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseGateConfig } from "../../../src/gate/config.js";

const root = new URL("../../../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), "utf8");

/** A systemd unit's sections and keys (each key's values in order: a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1} is not KEY=VALUE in a section: ${raw}`);
    const list = current.get(kv[1] as string) ?? [];
    list.push(kv[2] as string);
    current.set(kv[1] as string, list);
  }
  return sections;
}

describe("the gate's procedure", () => {
  const example = read("docs/gate.example.yaml");
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf("## The gate\n"), readme.indexOf("## Benchmarks\n"));

  it("docs/gate.example.yaml is a valid gate config: three clients, one by pin, an audit file, a deny list", () => {
    const config = parseGateConfig(example, "/etc/dvol-gate/gate.yaml");
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 2376 });
    expect(config.socket).toBe("/var/run/docker.sock");
    expect(config.tls.ca).toBe("/etc/dvol-gate/ca.pem");
    expect(config.clients.map((c) => [c.id, [...c.allow]])).toEqual([
      ["subject:dvol-reader", ["read"]],
      ["subject:dvol-bot", ["read", "delete"]],
      ["pin:sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", ["read", "backup"]],
    ]);
    expect(config.audit).toBe("/var/log/dvol-gate/audit.jsonl");
    expect(config.deny).toEqual(["*postgres*", "prod-*"]);
  });

  it("the README shows docs/gate.example.yaml as it is", () => {
    const body = example
      .split("\n")
      .filter((l) => !l.startsWith("# /etc/dvol-gate"))
      .join("\n")
      .trimEnd();
    const shown = /### Running it[\s\S]*?```yaml\n([\s\S]*?)\n\s*```/.exec(section)?.[1];
    expect(shown?.replace(/^ {3}/gm, "")).toBe(body);
  });

  it("docs/dvol-gate.service runs the gate as its own user in the docker group, with no new privileges and no capabilities", () => {
    const unit = parseUnit(read("docs/dvol-gate.service"));
    const service = unit.get("Service");
    const one = (k: string) => {
      const v = service?.get(k);
      expect(v, k).toHaveLength(1);
      return v?.[0];
    };
    expect([...unit.keys()]).toEqual(["Unit", "Service", "Install"]);
    expect(one("User")).toBe("dvol-gate");
    expect(one("Group")).toBe("dvol-gate");
    expect(one("SupplementaryGroups")).toBe("docker");
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("CapabilityBoundingSet")).toBe("");
    expect(one("AmbientCapabilities")).toBe("");
    expect(one("ProtectSystem")).toBe("strict");
    // The audit file of the example config lies in the one directory the unit may write.
    expect(one("LogsDirectory")).toBe("dvol-gate");
    expect(
      parseGateConfig(example, "/etc/dvol-gate/gate.yaml").audit?.startsWith("/var/log/dvol-gate/"),
    ).toBe(true);
    expect(one("ExecStart")).toBe(
      "/usr/bin/node /opt/dvol/bin/dvol.cjs gate --config /etc/dvol-gate/gate.yaml",
    );
    expect(section).toContain("`node /opt/dvol/bin/dvol.cjs gate --config\n   /etc/dvol-gate/gate.yaml`");
    expect(unit.get("Unit")?.get("Requires")).toEqual(["docker.service"]);
    expect(unit.get("Install")?.get("WantedBy")).toEqual(["multi-user.target"]);
  });
});
