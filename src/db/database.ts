import {
  type Insertable,
  Kysely,
  type Kysely as KyselyType,
  PostgresDialect,
  sql,
  type Transaction,
} from "kysely";
import pg from "pg";
import type { DB } from "./schema.js";

export type Tx = Transaction<DB>;
export type Db = KyselyType<DB>;

/** The role every request runs as: row-level security confines it to one tenant. */
export const APP_ROLE = "vouchsafe_app";

let parsersInstalled = false;
function installTypeParsers() {
  if (parsersInstalled) return;
  parsersInstalled = true;
  // bigint columns hold minor units: return safe JS integers, refuse silently rounded ones.
  pg.types.setTypeParser(20, (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} exceeds the safe integer range`);
    return n;
  });
  // numeric stays a string (sums of bigints may be large): callers convert deliberately.
  pg.types.setTypeParser(1700, (value: string) => value);
}

export interface Database {
  /** Runs as the app role; sees no tenant row until a tenant transaction sets the tenant. */
  kysely: Db;
  pool: pg.Pool;
  /**
   * One transaction confined to one tenant by row-level security: a query that forgets
   * its tenant filter still sees and writes only this tenant's rows.
   */
  tenantTx<T>(tenantId: string, fn: (trx: Tx) => Promise<T>): Promise<T>;
  /**
   * A transaction that crosses tenants: tenant creation, credential look-up before the
   * tenant is known, schedulers that find due work in every tenant. Use sparingly.
   */
  systemTx<T>(fn: (trx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function setTenant(trx: Tx, tenantId: string): Promise<void> {
  await sql`select set_config('vouchsafe.tenant_id', ${tenantId}, true)`.execute(trx);
}

export function createDatabase(connectionString: string, options: { poolSize?: number } = {}): Database {
  installTypeParsers();
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
    application_name: "vouchsafe",
  });
  pool.on("connect", (client) => {
    // Queued before any query of this client runs, so no statement escapes the role.
    client.query(`set role ${APP_ROLE}`).catch(() => {});
  });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    pool,
    tenantTx: (tenantId, fn) =>
      kysely.transaction().execute(async (trx) => {
        await setTenant(trx, tenantId);
        return fn(trx);
      }),
    systemTx: (fn) =>
      kysely.transaction().execute(async (trx) => {
        await sql`set local role none`.execute(trx);
        return fn(trx);
      }),
    close: async () => {
      await kysely.destroy();
    },
  };
}

/** A direct connection with the migration owner's rights (migrations, test set-up). */
export function createOwnerKysely(connectionString: string): Db {
  installTypeParsers();
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on("error", () => {
    // An idle client lost its connection (the server restarted or the database was dropped).
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Somewhere append-only rows (audit events, outbox events, idempotency records) can go:
 * a transaction writes them at once; the ledger's unit of work collects them and writes
 * each table's rows of a whole batch in one statement.
 */
export interface RowAppender {
  append<T extends keyof DB & string>(table: T, row: Insertable<DB[T]>): void;
}

export type RowTarget = Tx | RowAppender;

export async function appendRow<T extends keyof DB & string>(
  target: RowTarget,
  table: T,
  row: Insertable<DB[T]>,
): Promise<void> {
  if ("append" in target && typeof target.append === "function") {
    target.append(table, row);
    return;
  }
  await (target as Tx)
    .insertInto(table)
    // biome-ignore lint/suspicious/noExplicitAny: Kysely cannot narrow a generic table's insert type.
    .values(row as any)
    .execute();
}
