/**
 * What a long-lived process builds once and keeps across jobs: the worker and report functions
 * (once per cold start) and the local server (once per start) alike. TLS connection factories,
 * the app's Slack secrets, the Slack poster and the outbox jobs post with, and the store. Each is
 * made on first use; a failed attempt is not kept, so the next job tries again.
 */
import { openBackupStore } from "../backup/open.js";
import type { BackupStore } from "../backup/store.js";
import { cached, cachedBy } from "../cached.js";
import { SecretResolver, type SsmReader } from "../config/secrets.js";
import { backupConfig, type Config } from "../config/types.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../docker/connection.js";
import { SlackPostError } from "../errors.js";
import { respondEphemeral, type SlackOutbox, SlackPoster, type SlackThreadOutbox } from "../slack/post.js";
import { SlackSecrets } from "../slack/secrets.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";

export interface RuntimeOptions {
  env: NodeJS.ProcessEnv;
  ssm?: SsmReader | undefined;
  connect?: ConnectionFactory | undefined;
  /** Replaces the poster in `outbox` (tests); one that cannot post in threads serves read commands only. */
  slack?: SlackOutbox | SlackThreadOutbox | undefined;
  /** Replaces the store openStore(env) opens (tests); its caller closes it. */
  store?: Store | undefined;
  /** S3 client settings the environment does not give, for the store of backups (tests). */
  s3?: Record<string, unknown> | undefined;
}

export interface Runtime {
  /** The connection factory for a config: one secret resolver per config folder, so TLS material is read once. */
  connect(config: Config): ConnectionFactory;
  /** SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or the SSM parameters they name), each read once. */
  secrets: SlackSecrets;
  /** The Web API poster with the bot token. */
  poster(): Promise<SlackPoster>;
  /** What jobs post with: the injected outbox, else the poster (made on the first post). */
  outbox: SlackThreadOutbox;
  /** openStore(env): DynamoDB when DVOL_TABLE is set, else the embedded file. */
  store(): Promise<Store>;
  /** The store of backups for a config (openBackupStore: the bucket, or DVOL_BACKUP_DIR), made once per bucket. */
  backups(config: Config): Promise<BackupStore>;
  /** Closes the store if this runtime opened it; a later store() opens it again. */
  close(): Promise<void>;
}

export function functionRuntime(opts: RuntimeOptions): Runtime {
  const { env, ssm } = opts;
  const secrets = new SlackSecrets({ env, ...(ssm ? { ssm } : {}) });
  const factories = new Map<string, ConnectionFactory>();
  const poster = cached(
    async () => new SlackPoster({ token: await secrets.botToken(), slackApiUrl: env.SLACK_API_URL }),
  );
  let opened: Promise<Store> | undefined;
  const storeOnce = () => cached(() => (opened = openStore(env)), opts.store);
  let store = storeOnce();
  const backupStores = cachedBy<BackupStore>();
  return {
    backups(config) {
      const b = backupConfig(config);
      return backupStores(`${b.bucket}\u0000${b.kmsKeyId}`, () =>
        openBackupStore(config, env, { cwd: process.cwd(), ...(opts.s3 ? { s3: opts.s3 } : {}) }),
      );
    },
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
    secrets,
    poster,
    outbox: outboxOf(opts.slack, poster),
    store: () => store(),
    async close() {
      const s = opened;
      opened = undefined;
      store = storeOnce();
      // A store that failed to open has nothing to close.
      await (await s?.catch(() => undefined))?.close();
    },
  };
}

/** `injected` when given (its thread calls refused when it has none), else the poster. */
function outboxOf(
  injected: SlackOutbox | SlackThreadOutbox | undefined,
  poster: () => Promise<SlackThreadOutbox>,
): SlackThreadOutbox {
  const threads = (call: string): Promise<SlackThreadOutbox> => {
    if (!injected) return poster();
    if ("postInThread" in injected) return Promise.resolve(injected);
    return Promise.reject(
      new SlackPostError(call, "this Slack outbox cannot post in threads (a SlackOutbox was given)", {
        hint: "Deletion requests, their clicks and user groups need a SlackThreadOutbox: give one, or none (the bot token's poster).",
      }),
    );
  };
  return {
    post: async (channel, msg) => (injected ?? (await poster())).post(channel, msg),
    // A response_url needs no token: the URL is the credential.
    respond: (url, msg) => (injected ? injected.respond(url, msg) : respondEphemeral(url, msg)),
    postInThread: async (channel, threadTs, msg) =>
      (await threads("chat.postMessage")).postInThread(channel, threadTs, msg),
    update: async (channel, ts, msg) => (await threads("chat.update")).update(channel, ts, msg),
    usergroupMembers: async (groupId) => (await threads("usergroups.users.list")).usergroupMembers(groupId),
  };
}
