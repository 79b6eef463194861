/**
 * The Slack app's own secrets (SPEC §7): each is read from its environment variable, or, when that
 * is unset, from the SSM parameter named by `<NAME>_PARAM` (how the AWS deployment gets them, so no
 * secret is in the template). Read once per process (once per Lambda cold start) and cached.
 */
import { cached, cachedBy } from "../cached.js";
import { defaultSsmReader, type SsmReader } from "../config/secrets.js";
import { ConfigError, DvolError } from "../errors.js";

export type SlackSecretName = "SLACK_SIGNING_SECRET" | "SLACK_BOT_TOKEN";

export interface SlackSecretsOptions {
  env?: NodeJS.ProcessEnv;
  /** Reads one SSM parameter, decrypted. Defaults to the AWS SDK's SSM client, loaded on first use. */
  ssm?: SsmReader;
}

/** Reads the app's secrets from the environment or SSM, each once; failures are not cached. */
export class SlackSecrets {
  private readonly env: NodeJS.ProcessEnv;
  private readonly ssm: () => Promise<SsmReader>;
  private readonly cache = cachedBy<string>();

  constructor(opts: SlackSecretsOptions = {}) {
    this.env = opts.env ?? process.env;
    this.ssm = cached(() => defaultSsmReader(), opts.ssm);
  }

  signingSecret(): Promise<string> {
    return this.get("SLACK_SIGNING_SECRET");
  }

  botToken(): Promise<string> {
    return this.get("SLACK_BOT_TOKEN");
  }

  get(name: SlackSecretName): Promise<string> {
    return this.cache(name, () => this.load(name));
  }

  private async load(name: SlackSecretName): Promise<string> {
    const direct = this.env[name];
    if (direct) return direct;
    const paramVar = `${name}_PARAM`;
    const param = this.env[paramVar];
    if (!param) {
      throw new ConfigError(`neither ${name} nor ${paramVar} is set`, {
        key: name,
        hint: `Set ${name}, or ${paramVar} to the name of an SSM SecureString parameter that holds it.`,
      });
    }
    const ssm = await this.ssm();
    let value: string;
    try {
      value = await ssm(param);
    } catch (cause) {
      // SSM did not answer, or answered with an error: both name the parameter and say what to check.
      if (cause instanceof DvolError) throw cause;
      throw new ConfigError(`cannot read SSM parameter ${param}: ${(cause as Error)?.name ?? "Error"}`, {
        key: paramVar,
        cause,
        hint: "Check that the parameter exists and that this function may call ssm:GetParameter on it.",
      });
    }
    const trimmed = value.trim();
    if (!trimmed) throw new ConfigError(`SSM parameter ${param} is empty`, { key: paramVar });
    return trimmed;
  }
}
