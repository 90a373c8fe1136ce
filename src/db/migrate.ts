import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

/**
 * Migrations are forward-only files `NNNN_name.ts` in src/db/migrations. Ranges keep
 * modules apart: 0001-0099 foundation, 0100 ledger, 0200 platform, 0300 members/wallets,
 * 0400 deposits, 0500 vouchers, 0600 enterprise, 0700 benefits/checkout, 0800 catalog/packages,
 * 1000 top-up plans and lots. Because each
 * range grows on its own, a database may already hold 0600 when 0503 arrives: unordered
 * migrations are allowed, and each runs once, in name order among the pending ones.
 */
class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR))
      .filter((f) => /^\d{4}_.+\.(ts|js)$/.test(f) && !f.endsWith(".d.ts") && !f.includes(".test."))
      .sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as Migration;
      migrations[file.replace(/\.(ts|js)$/, "")] = module;
    }
    return migrations;
  }
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new FolderMigrationProvider(),
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(
      `migration ${failed?.migrationName ?? "?"} failed: ${String((error as Error).message ?? error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** Names of migrations present in code but not applied (readiness reports these). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new FolderMigrationProvider(),
    allowUnorderedMigrations: true,
  });
  const all = await migrator.getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/**
 * Makes a tenant-owned table safe by construction: row-level security limits the app
 * role to the tenant set for the current transaction.
 */
export async function protectTenantTable(db: Kysely<any>, table: string): Promise<void> {
  await sql.raw(`alter table ${table} enable row level security`).execute(db);
  await sql
    .raw(
      `create policy tenant_isolation on ${table} using (tenant_id = current_setting('vouchsafe.tenant_id', true)) with check (tenant_id = current_setting('vouchsafe.tenant_id', true))`,
    )
    .execute(db);
}
