// SLACK_SIGNING_SECRET / SLACK_BOT_TOKEN: from the environment, else from the SSM parameter named by
// <NAME>_PARAM, read once per process; errors name the variable, never a value.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { SlackSecrets } from "../../../src/slack/secrets.js";

describe("SlackSecrets", () => {
  it("takes the environment variable when it is set, and asks SSM nothing", async () => {
    const asked: string[] = [];
    const s = new SlackSecrets({
      env: { SLACK_SIGNING_SECRET: "from-env", SLACK_SIGNING_SECRET_PARAM: "/dvol/signing" },
      ssm: async (n) => {
        asked.push(n);
        return "from-ssm";
      },
    });
    expect(await s.signingSecret()).toBe("from-env");
    expect(asked).toEqual([]);
  });

  it("reads the SSM parameter named by <NAME>_PARAM once, however often it is asked", async () => {
    const asked: string[] = [];
    const s = new SlackSecrets({
      env: { SLACK_BOT_TOKEN_PARAM: "/dvol/bot-token" },
      ssm: async (n) => {
        asked.push(n);
        return "xoxb-from-ssm\n";
      },
    });
    const got = await Promise.all([s.botToken(), s.botToken(), s.get("SLACK_BOT_TOKEN")]);
    expect(got).toEqual(["xoxb-from-ssm", "xoxb-from-ssm", "xoxb-from-ssm"]);
    expect(asked).toEqual(["/dvol/bot-token"]);
  });

  it("names both variables when neither is set", async () => {
    const err = await new SlackSecrets({ env: {} }).signingSecret().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("neither SLACK_SIGNING_SECRET nor SLACK_SIGNING_SECRET_PARAM");
  });

  it("says which parameter could not be read, without caching the failure", async () => {
    let calls = 0;
    const s = new SlackSecrets({
      env: { SLACK_SIGNING_SECRET_PARAM: "/dvol/signing" },
      ssm: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
        return "s3cret";
      },
    });
    const err = await s.signingSecret().catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      "cannot read SSM parameter /dvol/signing: AccessDeniedException",
    );
    expect((err as Error).message).not.toContain("s3cret");
    expect(await s.signingSecret()).toBe("s3cret");
  });
});
