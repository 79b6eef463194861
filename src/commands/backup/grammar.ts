/** `backup <host> <volume>... [--reason TEXT]`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

/** At most this many volumes in one `backup` (each is streamed whole, one after another). */
export const MAX_BACKUP_VOLUMES = 50;

export const BACKUP: CommandSpec = {
  name: "backup",
  summary: "copies volumes of a host to the store of backups (S3 on AWS, DVOL_BACKUP_DIR locally), verified",
  args: [
    { name: "host", kind: "host" },
    { name: "volume", kind: "volume", variadic: true },
  ],
  options: [{ name: "reason", kind: "string", metavar: "TEXT", help: "why, kept in the backup's manifest" }],
  examples: ["backup host1 pgdata", 'backup host1 shop_db blog_uploads --reason "before the upgrade"'],
};
