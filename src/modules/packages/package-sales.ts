import { sql } from "kysely";
import type { Tx } from "../../db/database.js";

export interface SalesBreakdown {
  key: string | null;
  volume: number;
  revenue: number;
  buyers: number;
}

export interface PackageSales {
  volume: number;
  revenue: number;
  buyers: number;
  refunds: { count: number; amount: number };
  by_store: SalesBreakdown[];
  by_channel: SalesBreakdown[];
  by_rule: SalesBreakdown[];
  by_price_kind: SalesBreakdown[];
}

/** At most this many stores in the by-store breakdown (the busiest first). */
export const MAX_STORES_IN_SALES = 100;

/**
 * A package's sales paid in `[from, to)`: volume (orders kept), revenue (their amounts, minor
 * units), distinct buyers; refunded orders counted apart; broken down by store, channel,
 * sales rule and price kind.
 */
export async function packageSales(
  trx: Tx,
  tenantId: string,
  packageId: string,
  range: { from: Date; to: Date },
): Promise<PackageSales> {
  const base = trx
    .selectFrom("package_orders")
    .where("tenant_id", "=", tenantId)
    .where("package_id", "=", packageId)
    .where("paid_at", ">=", range.from)
    .where("paid_at", "<", range.to);
  const kept = base.where("status", "=", "paid");
  const measures = [
    sql<string>`count(*)`.as("volume"),
    sql<string>`coalesce(sum(amount), 0)`.as("revenue"),
    sql<string>`count(distinct member_id)`.as("buyers"),
  ] as const;
  const toNumbers = (r: { volume: string; revenue: string; buyers: string }) => ({
    volume: Number(r.volume),
    revenue: Number(r.revenue),
    buyers: Number(r.buyers),
  });
  const totals = await kept.select(measures).executeTakeFirstOrThrow();
  const refunds = await base
    .where("status", "=", "refunded")
    .select([sql<string>`count(*)`.as("count"), sql<string>`coalesce(sum(amount), 0)`.as("amount")])
    .executeTakeFirstOrThrow();
  const breakdown = async (column: "store_id" | "channel" | "rule_key" | "price_kind", limit = 100) =>
    (
      await kept
        .select([sql<string | null>`${sql.ref(column)}`.as("key"), ...measures])
        .groupBy(column)
        .orderBy(sql`count(*)`, "desc")
        .orderBy(column)
        .limit(limit)
        .execute()
    ).map((r) => ({ key: r.key, ...toNumbers(r) }));
  return {
    ...toNumbers(totals),
    refunds: { count: Number(refunds.count), amount: Number(refunds.amount) },
    by_store: await breakdown("store_id", MAX_STORES_IN_SALES),
    by_channel: await breakdown("channel"),
    by_rule: await breakdown("rule_key"),
    by_price_kind: await breakdown("price_kind"),
  };
}
