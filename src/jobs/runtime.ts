/**
 * What the worker and report functions (and nothing per request) build once per cold start and
 * keep across invocations: TLS connection factories, the Slack poster and the store. Each is made
 * on first use; a failed attempt is not kept, so the next invocation tries again.
 */
import { cached } from "../cached.js";
import { SecretResolver, type SsmReader } from "../config/secrets.js";
import type { Config } from "../config/types.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../docker/connection.js";
import { SlackPoster } from "../slack/post.js";
import { SlackSecrets } from "../slack/secrets.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";

export interface RuntimeOptions {
  env: NodeJS.ProcessEnv;
  ssm?: SsmReader | undefined;
  connect?: ConnectionFactory | undefined;
  store?: Store | undefined;
}

export interface Runtime {
  /** The connection factory for a config: one secret resolver per config folder, so TLS material is read once. */
  connect(config: Config): ConnectionFactory;
  /** The Web API poster with the bot token (SLACK_BOT_TOKEN, or the SSM parameter it names). */
  poster(): Promise<SlackPoster>;
  /** openStore(env): DynamoDB when DVOL_TABLE is set, else the embedded file. */
  store(): Promise<Store>;
}

export function functionRuntime(opts: RuntimeOptions): Runtime {
  const { env, ssm } = opts;
  const secrets = new SlackSecrets({ env, ...(ssm ? { ssm } : {}) });
  const factories = new Map<string, ConnectionFactory>();
  return {
    connect(config) {
      if (opts.connect) return opts.connect;
      let f = factories.get(config.baseDir);
      if (!f) {
        f = tlsConnectionFactory(
          new SecretResolver({ baseDir: config.baseDir, env, ...(ssm ? { ssm } : {}) }),
        );
        factories.set(config.baseDir, f);
      }
      return f;
    },
    poster: cached(
      async () => new SlackPoster({ token: await secrets.botToken(), slackApiUrl: env.SLACK_API_URL }),
    ),
    store: cached(() => openStore(env), opts.store),
  };
}
