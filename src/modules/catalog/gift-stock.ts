import { type Expression, type QueryCreator, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";

/**
 * Gift stock ("Unlimited Stock / Limited Stock"): one counter per configuration key (e.g.
 * `package:<id>:<perk>`). A plan sets its limit when it is saved; a grant takes one unit
 * with a single conditional update, so N concurrent grants never give more than the limit:
 * the row lock orders them and each re-reads `granted` after the one before commits.
 */
export async function configureGiftStock(
  trx: Tx,
  tenantId: string,
  key: string,
  limit: number | null,
  now: Date,
): Promise<void> {
  await trx
    .insertInto("gift_stocks")
    .values({ tenant_id: tenantId, key, stock_limit: limit, granted: 0, updated_at: now })
    .onConflict((oc) => oc.columns(["tenant_id", "key"]).doUpdateSet({ stock_limit: limit, updated_at: now }))
    .execute();
}

/** Takes one unit; false when none is left. A key never configured is unlimited. */
export async function takeGiftStock(trx: Tx, tenantId: string, key: string, now: Date): Promise<boolean> {
  const taken = await trx
    .updateTable("gift_stocks")
    .set({ granted: sql`granted + 1`, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .where((eb) => eb.or([eb("stock_limit", "is", null), eb("granted", "<", eb.ref("stock_limit"))]))
    .returning("granted")
    .executeTakeFirst();
  if (taken) return true;
  const configured = await trx
    .selectFrom("gift_stocks")
    .select("key")
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .executeTakeFirst();
  return configured === undefined;
}

/** Gives back a unit a revoked grant had taken, so a refunded purchase's gift is in stock again. */
export async function returnGiftStock(trx: Tx, tenantId: string, key: string, now: Date): Promise<void> {
  await trx
    .updateTable("gift_stocks")
    .set({ granted: sql`greatest(granted - 1, 0)`, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .execute();
}

export type GiftStockLevels = Map<string, { limit: number | null; granted: number }>;

/**
 * The stock rows of the keys, as a query for `Database.tenantQueries`: the keys may be a
 * subquery, so the levels of rows read in the same round trip can be read with them.
 */
export function giftStocksQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  keys: readonly string[] | Expression<string>,
) {
  return qc
    .selectFrom("gift_stocks")
    .select(["key", "stock_limit", "granted"])
    .where("tenant_id", "=", tenantId)
    .where("key", "in", Array.isArray(keys) ? [...keys] : (keys as Expression<string>));
}

export function stockLevelsOf(
  rows: readonly { key: string; stock_limit: number | null; granted: number }[],
): GiftStockLevels {
  return new Map(rows.map((r) => [r.key, { limit: r.stock_limit, granted: r.granted }]));
}

/** Limit and units granted per key (null limit: unlimited). */
export async function giftStockLevels(
  trx: Tx,
  tenantId: string,
  keys: readonly string[],
): Promise<GiftStockLevels> {
  if (keys.length === 0) return new Map();
  return stockLevelsOf(await giftStocksQuery(trx, tenantId, keys).execute());
}
