// `backup:` in the config (issue 11): accepted, its defaults, and each error naming its key.
import { describe, expect, it } from "vitest";
import { backupConfig } from "../../../src/config/types.js";
import { validateConfig } from "../../../src/config/validate.js";
import { ConfigError } from "../../../src/errors.js";

const validate = (backup: unknown) =>
  validateConfig(
    { hosts: [{ name: "a", socket: "/s" }], ...(backup === undefined ? {} : { backup }) },
    null,
    "/",
  );

describe("backup: in the config", () => {
  it("is accepted, with every key", () => {
    expect(
      validate({
        bucket: "dvol-backups",
        kmsKeyId: "alias/dvol",
        beforeDelete: "off",
        maxBytes: 1e9,
        keepDays: 7,
      }).backup,
    ).toEqual({
      bucket: "dvol-backups",
      kmsKeyId: "alias/dvol",
      beforeDelete: "off",
      maxBytes: 1e9,
      keepDays: 7,
    });
  });

  it("given, defaults to a local store and 30 days; absent, to beforeDelete off", () => {
    expect(validate({ beforeDelete: "off" }).backup).toEqual({
      bucket: null,
      kmsKeyId: null,
      beforeDelete: "off",
      maxBytes: null,
      keepDays: 30,
    });
    expect(validate(undefined).backup?.beforeDelete).toBe("off");
    expect(backupConfig({}).beforeDelete).toBe("off");
  });

  it("accepts beforeDelete: required, the default once backup: is given (deletions back volumes up first)", () => {
    expect(validate({}).backup).toEqual({
      bucket: null,
      kmsKeyId: null,
      beforeDelete: "required",
      maxBytes: null,
      keepDays: 30,
    });
    expect(validate({ beforeDelete: "required", maxBytes: 5e9 }).backup).toMatchObject({
      beforeDelete: "required",
      maxBytes: 5e9,
    });
  });

  it.each([
    ["50GB", 50e9],
    ["1.5 TB", 1.5e12],
    ["500mb", 500e6],
    ["512MiB", 512 * 2 ** 20],
    ["2TiB", 2 * 2 ** 40],
    ["4096", 4096],
  ])("reads maxBytes %j as %d bytes (SPEC writes 50GB)", (maxBytes, bytes) => {
    expect(validate({ beforeDelete: "off", maxBytes }).backup?.maxBytes).toBe(bytes);
  });

  it.each([
    [{ bucket: "Bad_Bucket" }, "backup.bucket", /not an S3 bucket name/],
    [{ kmsKeyId: "alias/x" }, "backup.kmsKeyId", /set backup.bucket too/],
    [{ beforeDelete: "always" }, "backup.beforeDelete", /expected required or off/],
    [{ maxBytes: -1 }, "backup.maxBytes", /expected a size/],
    [{ maxBytes: "1G" }, "backup.maxBytes", /expected a size/],
    [{ maxBytes: "0GB" }, "backup.maxBytes", /expected a size/],
    [{ maxBytes: "lots" }, "backup.maxBytes", /expected a size/],
    [{ keepDays: 0 }, "backup.keepDays", /positive number/],
    [{ keepDays: 1.5 }, "backup.keepDays", /whole number of days/],
    [{ keepDays: 99999 }, "backup.keepDays", /ten years/],
    [{ bucket: "b-1", beforeDelete: "off", where: "x" }, "backup.where", /unknown key/],
    ["yes", "backup", /expected a mapping/],
  ])("refuses %j, naming %s", (backup, key, why) => {
    let err: unknown;
    try {
      validate(backup);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
    expect((err as ConfigError).message).toMatch(why);
  });
});
