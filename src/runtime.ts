import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "./config.js";
import { createOwnerKysely, withClient } from "./db/database.js";
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from "./db/embedded.js";
import { migrateToLatest } from "./db/migrate.js";

export const DATABASE_NAME = "vouchsafe";

export interface OpenedDatabase {
  /** The owner's connection string (migrations, jobs); the app pool switches to the app role. */
  url: string;
  embedded: EmbeddedPostgresHandle | undefined;
  applied: string[];
}

/**
 * The database the server, worker and CLI share: DATABASE_URL when set, otherwise an
 * embedded PostgreSQL in `<dataDir>/pg` with a `vouchsafe` database; migrated to the latest.
 */
export async function openDatabase(
  config: Config,
  log: (line: string) => void,
  options: { migrate?: boolean } = {},
): Promise<OpenedDatabase> {
  let url = config.databaseUrl;
  let embedded: EmbeddedPostgresHandle | undefined;
  if (!url) {
    await mkdir(config.dataDir, { recursive: true });
    embedded = await startEmbeddedPostgres({
      clusterDir: path.join(config.dataDir, "pg"),
      port: config.embeddedPgPort,
      durable: true,
      log: (line) => {
        // Shutdown notices are expected; real errors are worth showing.
        if (/error|fatal|panic/i.test(line) && !/administrator command/.test(line)) log(`postgres: ${line}`);
      },
    });
    await withClient(embedded.url("postgres"), async (admin) => {
      const exists = await admin.query("select 1 from pg_database where datname = $1", [DATABASE_NAME]);
      if (exists.rowCount === 0) await admin.query(`create database ${DATABASE_NAME}`);
    });
    url = embedded.url(DATABASE_NAME);
  }
  let applied: string[] = [];
  if (options.migrate !== false) {
    const owner = createOwnerKysely(url);
    try {
      applied = await migrateToLatest(owner);
    } finally {
      await owner.destroy();
    }
  }
  return { url, embedded, applied };
}

/**
 * Member and session tokens are signed with this secret. Unless configured, one is made on
 * first start and kept in the data folder, so tokens survive restarts.
 */
export async function ensureSigningSecret(config: Config): Promise<Config> {
  if (config.signingSecret) return config;
  const file = path.join(config.dataDir, "signing-secret");
  let secret: string;
  try {
    secret = (await readFile(file, "utf8")).trim();
  } catch {
    secret = randomBytes(32).toString("base64url");
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, secret, { mode: 0o600 });
  }
  return { ...config, signingSecret: secret };
}
