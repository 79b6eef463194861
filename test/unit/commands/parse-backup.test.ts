// Unit tests of src/commands/parse.ts for backup, backups and restore (SPEC §2): what each parses
// to, and the usage errors a person meets (exit 2 on the CLI, nothing asked of any host).
import { describe, expect, it } from "vitest";
import { findCommand, usageLine } from "../../../src/commands/grammar.js";
import { parseCommand } from "../../../src/commands/parse.js";
import { InvalidVolumeNameError, UsageError } from "../../../src/errors.js";

const ID = "bk-20261203-061512-0a1b2c3d";

function errorOf(words: string[]): Error {
  try {
    parseCommand(words);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`parsed: ${words.join(" ")}`);
}

describe("parseCommand: backup", () => {
  it("parses a host, volumes (duplicates once) and --reason", () => {
    expect(parseCommand(["backup", "host1", "a_1", "b.2", "a_1", "--reason", "before the upgrade"])).toEqual({
      name: "backup",
      host: "host1",
      volumes: ["a_1", "b.2"],
      reason: "before the upgrade",
    });
    expect(parseCommand(["backup", "host1", "pgdata"])).toMatchObject({ reason: null });
  });

  it("needs at least one volume, and checks every name with Docker's rule", () => {
    const missing = errorOf(["backup", "host1"]);
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toBe("backup: missing <volume>");
    expect((missing as UsageError).usage).toBe("dvol backup <host> <volume>... [--reason TEXT]");
    expect(errorOf(["backup", "host1", "ok", "../x"])).toBeInstanceOf(InvalidVolumeNameError);
  });

  it("refuses more than 50 volumes at once", () => {
    const names = Array.from({ length: 51 }, (_, i) => `v${i}x`);
    expect(errorOf(["backup", "host1", ...names]).message).toBe(
      "backup: 51 volumes; at most 50 in one backup",
    );
  });
});

describe("parseCommand: backups", () => {
  it("lists everything by default, or a target and one volume", () => {
    expect(parseCommand(["backups"])).toEqual({ name: "backups", target: null, volume: null });
    expect(parseCommand(["backups", "web-*", "--volume", "pgdata"])).toEqual({
      name: "backups",
      target: "web-*",
      volume: "pgdata",
    });
  });

  it("checks --volume with Docker's rule, and takes one target only", () => {
    expect(errorOf(["backups", "--volume", "a/b"])).toBeInstanceOf(InvalidVolumeNameError);
    expect(errorOf(["backups", "h1", "h2"]).message).toBe('backups: unexpected argument "h2"');
  });
});

describe("parseCommand: restore", () => {
  it("parses a host, a backup id (any case) and --as", () => {
    expect(
      parseCommand(["restore", "host2", ID.toUpperCase().replace("BK", "bk"), "--as", "pg-copy"]),
    ).toEqual({
      name: "restore",
      host: "host2",
      id: ID,
      as: "pg-copy",
    });
    expect(parseCommand(["restore", "host1", ID])).toEqual({
      name: "restore",
      host: "host1",
      id: ID,
      as: null,
    });
  });

  it("refuses what is not a backup id, showing the usage", () => {
    const err = errorOf(["restore", "host1", "DR-0A1B2C3D"]);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(
      /restore: "DR-0A1B2C3D" is not a backup id \(like bk-20261203-061512-0a1b2c3d; see: backups\)/,
    );
    expect((err as UsageError).usage).toBe(
      usageLine(findCommand("restore") ?? { name: "", summary: "", args: [], options: [], examples: [] }),
    );
    expect(errorOf(["restore", "host1"]).message).toBe("restore: missing <backup-id>");
  });

  it("checks --as with Docker's rule", () => {
    expect(errorOf(["restore", "host1", ID, "--as", "-rf"])).toBeInstanceOf(InvalidVolumeNameError);
  });
});
