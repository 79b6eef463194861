// slack-app-manifest.yml: the slash command and interactivity on the endpoint serverless.yml
// serves, and the fewest bot scopes that work.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface Manifest {
  features: {
    slash_commands: { command: string; url: string; should_escape?: boolean }[];
    event_subscriptions?: unknown;
    bot_user?: unknown;
  };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string };
    event_subscriptions?: unknown;
    socket_mode_enabled: boolean;
  };
}

const manifest = parse(readFileSync(path.join(ROOT, "slack-app-manifest.yml"), "utf8")) as Manifest;
const serverlessYml = readFileSync(path.join(ROOT, "serverless.yml"), "utf8");

describe("slack-app-manifest.yml", () => {
  it("has /dvol and interactivity on the one endpoint, the path serverless.yml routes", () => {
    const route = serverlessYml.match(/httpApi:\s*\n\s*method: POST\s*\n\s*path: (\S+)/)?.[1];
    expect(route).toBe("/slack/events");
    expect(manifest.features.slash_commands).toHaveLength(1);
    const [cmd] = manifest.features.slash_commands;
    expect(cmd?.command).toBe("/dvol");
    expect(cmd?.url).toBe(`https://YOUR-API${route}`);
    // dvol parses the raw text itself: Slack must not rewrite names into <@U…|…> links.
    expect(cmd?.should_escape).toBe(false);
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: `https://YOUR-API${route}`,
    });
    expect(manifest.features.bot_user).toBeDefined();
  });

  it("asks for the fewest bot scopes, no user scopes and no events", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      "chat:write",
      "commands",
      "files:write",
      "usergroups:read",
    ]);
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
    expect(manifest.settings.event_subscriptions).toBeUndefined();
    expect(manifest.features.event_subscriptions).toBeUndefined();
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });
});
