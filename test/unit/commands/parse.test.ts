// Unit tests of src/commands/parse.ts: the one grammar shared by Slack and the CLI.
import { describe, expect, it } from "vitest";
import { findCommand, usageLine } from "../../../src/commands/grammar.js";
import { type Command, parseCommand, tokenize } from "../../../src/commands/parse.js";
import { InvalidVolumeNameError, UsageError } from "../../../src/errors.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

function usageErrorOf(words: string[]): UsageError {
  const err = thrown(() => parseCommand(words));
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

const usageOf = (name: string) => {
  const spec = findCommand(name);
  if (!spec) throw new Error(`no command ${name} in the grammar`);
  return usageLine(spec);
};

type Ls = Extract<Command, { name: "ls" }>;

function ls(...words: string[]): Ls {
  const cmd = parseCommand(["ls", ...words]);
  if (cmd.name !== "ls") throw new Error(`parsed as ${cmd.name}`);
  return cmd;
}

describe("tokenize", () => {
  it("splits on any run of whitespace, ignoring leading and trailing blanks", () => {
    expect(tokenize("  ls   host1\tall\n--dangling  ")).toEqual(["ls", "host1", "all", "--dangling"]);
  });

  it("returns no words for blank text", () => {
    expect(tokenize("")).toEqual([]);
    expect(tokenize("   \t ")).toEqual([]);
  });

  it("groups words inside straight double and single quotes", () => {
    expect(tokenize(`ls h --name "my vol" --project 'shop front'`)).toEqual([
      "ls",
      "h",
      "--name",
      "my vol",
      "--project",
      "shop front",
    ]);
  });

  it("groups words inside the curly quotes Slack substitutes", () => {
    expect(tokenize("ls h --name “my vol” --project ‘shop front’")).toEqual([
      "ls",
      "h",
      "--name",
      "my vol",
      "--project",
      "shop front",
    ]);
  });

  it("accepts a curly double quote closed by the same opening character", () => {
    expect(tokenize("--name “a b“")).toEqual(["--name", "a b"]);
  });

  // Found in review: a word opened with a closing curly quote (” or ’), as Slack sometimes
  // substitutes, was not taken as quoted, and the quotes became part of the words.
  it("accepts Slack's curly quotes however they are paired", () => {
    expect(tokenize("ls h --name ”a b”")).toEqual(["ls", "h", "--name", "a b"]);
    expect(tokenize("ls h --name ’a b’")).toEqual(["ls", "h", "--name", "a b"]);
  });

  it("joins a quoted part to the letters around it, as a shell does", () => {
    expect(tokenize(`--label=env="prod eu"`)).toEqual(["--label=env=prod eu"]);
  });

  it("keeps an empty quoted string as an empty word", () => {
    expect(tokenize(`inspect h ""`)).toEqual(["inspect", "h", ""]);
  });

  it("keeps the other kind of quote inside a quoted word", () => {
    expect(tokenize(`--reason "it's old"`)).toEqual(["--reason", "it's old"]);
  });

  it("keeps non-ASCII text intact", () => {
    expect(tokenize("inspect hôte données 日本語")).toEqual(["inspect", "hôte", "données", "日本語"]);
  });

  it("normalises decomposed accents to their composed form", () => {
    expect(tokenize("donne\u0301es")).toEqual(["données"]);
  });

  it.each([`ls "host1`, `ls 'host1`, "ls “host1", "ls ‘host1"])(
    "refuses the unbalanced quote in %s",
    (text) => {
      const err = thrown(() => tokenize(text));
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(/unbalanced quote/);
    },
  );
});

describe("parseCommand: help, hosts, info", () => {
  it("parses help without a topic", () => {
    expect(parseCommand(["help"])).toEqual({ name: "help", topic: null });
  });

  it("parses help with a command as topic", () => {
    expect(parseCommand(["help", "ls"])).toEqual({ name: "help", topic: "ls" });
    expect(parseCommand(["help", "inspect"])).toEqual({ name: "help", topic: "inspect" });
  });

  it("refuses help on a command that does not exist", () => {
    const err = usageErrorOf(["help", "frobnicate"]);
    expect(err.message).toContain('"frobnicate"');
    expect(err.usage).toBe(usageOf("help"));
  });

  it("parses hosts", () => {
    expect(parseCommand(["hosts"])).toEqual({ name: "hosts" });
  });

  it("parses info <host>", () => {
    expect(parseCommand(["info", "host1"])).toEqual({ name: "info", host: "host1" });
  });

  it("parses inspect <host> <volume>", () => {
    expect(parseCommand(["inspect", "host1", "shop_db-data"])).toEqual({
      name: "inspect",
      host: "host1",
      volume: "shop_db-data",
    });
  });
});

describe("parseCommand: ls", () => {
  it("has the documented defaults when given only a target", () => {
    expect(ls("host1")).toEqual({
      name: "ls",
      target: "host1",
      dangling: false,
      project: null,
      labels: [],
      driver: null,
      nameContains: null,
      sort: "name",
      limit: null,
      fresh: false,
    });
  });

  it("keeps the target as typed (list, glob, all)", () => {
    expect(ls("host1,host2").target).toBe("host1,host2");
    expect(ls("web-*").target).toBe("web-*");
    expect(ls("all").target).toBe("all");
  });

  it("parses --dangling", () => {
    expect(ls("h", "--dangling").dangling).toBe(true);
  });

  it.each([
    [["--project", "shop"], { project: "shop" }],
    [["--project=shop"], { project: "shop" }],
    [["--driver", "local"], { driver: "local" }],
    [["--driver=nfs"], { driver: "nfs" }],
    [["--name", "cache"], { nameContains: "cache" }],
    [["--name=cache"], { nameContains: "cache" }],
    [["--sort", "size"], { sort: "size" }],
    [["--sort=created"], { sort: "created" }],
    [["--sort", "name"], { sort: "name" }],
    [["--limit", "5"], { limit: 5 }],
    [["--limit=9999999"], { limit: 9999999 }],
  ])("parses %j", (words, expected) => {
    expect(ls("h", ...words)).toMatchObject(expected);
  });

  it("parses --label K and --label K=V, repeated, in order", () => {
    expect(ls("h", "--label", "env=prod", "--label=backup", "--label", "tier=db=primary").labels).toEqual([
      { key: "env", value: "prod" },
      { key: "backup", value: undefined },
      { key: "tier", value: "db=primary" },
    ]);
  });

  it("keeps an empty label value (K=) distinct from no value (K)", () => {
    expect(ls("h", "--label", "env=").labels).toEqual([{ key: "env", value: "" }]);
  });

  it("accepts options before the target and every option at once", () => {
    expect(
      ls(
        "--dangling",
        "--project=shop",
        "web-*",
        "--label",
        "env=prod",
        "--driver",
        "local",
        "--name",
        "data",
        "--sort",
        "size",
        "--limit",
        "3",
        "--fresh",
      ),
    ).toEqual({
      name: "ls",
      target: "web-*",
      dangling: true,
      project: "shop",
      labels: [{ key: "env", value: "prod" }],
      driver: "local",
      nameContains: "data",
      sort: "size",
      limit: 3,
      fresh: true,
    });
  });

  it("takes a value that contains = when given as --opt=value", () => {
    expect(ls("h", "--name=a=b").nameContains).toBe("a=b");
  });
});

describe("parseCommand: usage errors", () => {
  const allUsage = [
    "help",
    "hosts",
    "info",
    "ls",
    "inspect",
    "rm",
    "prune",
    "requests",
    "report",
    "backup",
    "backups",
    "restore",
  ]
    .map(usageOf)
    .join("\n");

  it("refuses no words at all, showing every command's usage", () => {
    const err = usageErrorOf([]);
    expect(err.message).toMatch(/no command/);
    expect(err.usage).toBe(allUsage);
  });

  it("refuses an empty command word", () => {
    expect(usageErrorOf([""]).message).toMatch(/no command/);
  });

  it("refuses an unknown command, naming it", () => {
    const err = usageErrorOf(["frobnicate", "host1"]);
    expect(err.message).toBe('unknown command "frobnicate"');
    expect(err.usage).toBe(allUsage);
  });

  it("treats command names as case-sensitive", () => {
    expect(usageErrorOf(["LS", "host1"]).message).toMatch(/unknown command "LS"/);
  });

  it.each([
    [["ls", "h", "--bogus"], /unknown option --bogus/, "ls"],
    [["ls", "h", "--bogus=1"], /unknown option --bogus/, "ls"],
    [["ls", "--dangle", "h"], /unknown option --dangle/, "ls"],
    [["info", "h", "--json"], /takes no options/, "info"],
    [["hosts", "--dangling"], /takes no options/, "hosts"],
    [["ls"], /missing <target>/, "ls"],
    [["info"], /missing <host>/, "info"],
    [["inspect", "h"], /missing <volume>/, "inspect"],
    [["inspect"], /missing <host>/, "inspect"],
    [["ls", "h", "extra"], /unexpected argument "extra"/, "ls"],
    [["hosts", "h"], /unexpected argument "h"/, "hosts"],
    [["info", "h1", "h2"], /unexpected argument "h2"/, "info"],
    [["help", "ls", "info"], /unexpected argument "info"/, "help"],
    [["inspect", "h", "vol1", "vol2"], /unexpected argument "vol2"/, "inspect"],
    [["ls", "h", "--project", "a", "--project", "b"], /--project given twice/, "ls"],
    [["ls", "h", "--dangling", "--dangling"], /--dangling given twice/, "ls"],
    [["ls", "h", "--limit=1", "--limit", "2"], /--limit given twice/, "ls"],
    [["ls", "h", "--sort", "big"], /--sort is one of name, size, created, not "big"/, "ls"],
    [["ls", "h", "--sort=SIZE"], /--sort is one of name, size, created/, "ls"],
    [["ls", "h", "--limit", "0"], /--limit needs a whole number/, "ls"],
    [["ls", "h", "--limit", "-1"], /--limit needs a whole number/, "ls"],
    [["ls", "h", "--limit", "abc"], /--limit needs a whole number/, "ls"],
    [["ls", "h", "--limit", "1e3"], /--limit needs a whole number/, "ls"],
    [["ls", "h", "--limit=2.5"], /--limit needs a whole number/, "ls"],
    [["ls", "h", "--dangling=true"], /--dangling takes no value/, "ls"],
    [["ls", "h", "--dangling="], /--dangling takes no value/, "ls"],
    [["ls", "h", "--project"], /--project needs a value/, "ls"],
    [["ls", "h", "--project="], /--project needs a value/, "ls"],
    [["ls", "h", "--sort"], /--sort needs a value/, "ls"],
    [["ls", "h", "--limit"], /--limit needs a value/, "ls"],
    [["ls", "h", "--label"], /--label needs a value/, "ls"],
    [["ls", "h", "--project", "--dangling"], /--project needs a value/, "ls"],
    [["ls", "h", "--label", "=prod"], /--label needs a key/, "ls"],
  ])("refuses %j: %s", (words, message, command) => {
    const err = usageErrorOf(words);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${command}: `)).toBe(true);
    expect(err.usage).toBe(usageOf(command));
  });

  // Found in review: an option given to a command without options was refused as just "takes no
  // options", without naming the option or the command.
  it("names the option given to a command without options", () => {
    expect(() => parseCommand(["hosts", "--x"])).toThrow(
      "hosts: unknown option --x (hosts takes no options)",
    );
  });

  it("gives a hint pointing to the command's help", () => {
    expect(usageErrorOf(["ls", "h", "--bogus"]).hint).toBe("See: help ls");
  });

  it("truncates a very long unknown word in the message", () => {
    const long = "x".repeat(500);
    const err = usageErrorOf(["ls", "h", long]);
    expect(err.message.length).toBeLessThan(100);
    expect(err.message).toContain("…");
  });

  it("refuses more than 220 words (room for rm with 200 volumes)", () => {
    expect(usageErrorOf(["ls", ...Array.from({ length: 220 }, () => "h")]).message).toMatch(/too many words/);
  });

  it("refuses a word over 1000 characters", () => {
    expect(usageErrorOf(["ls", "a".repeat(1001)]).message).toMatch(/too long/);
  });
});

describe("parseCommand: volume names for inspect", () => {
  it.each([
    ["a path", "../containers/x"],
    ["a query", "a?force=1"],
    ["the empty string", ""],
    ["300 characters", "a".repeat(300)],
    ["non-ASCII", "données"],
    ["an option-like word", "-rf"],
    ["a single character", "a"],
    ["a slash", "a/b"],
    ["a leading dot", ".hidden"],
    ["a space", "my vol"],
  ])("refuses %s as InvalidVolumeNameError", (_what, volume) => {
    const err = thrown(() => parseCommand(["inspect", "host1", volume]));
    expect(err).toBeInstanceOf(InvalidVolumeNameError);
    expect((err as InvalidVolumeNameError).volume).toBe(volume);
  });

  it("shortens a long invalid name in the message", () => {
    const err = thrown(() => parseCommand(["inspect", "host1", "a".repeat(300)])) as Error;
    expect(err.message.length).toBeLessThan(120);
  });

  it.each(["app_data", "shop_db-data", "a.b-c_d", "x1", "A1", "9z", "a".repeat(255)])(
    "accepts %s",
    (volume) => {
      expect(parseCommand(["inspect", "host1", volume])).toEqual({ name: "inspect", host: "host1", volume });
    },
  );
});
