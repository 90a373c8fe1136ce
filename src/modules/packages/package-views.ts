import { type QueryCreator, type SelectQueryBuilder, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import { giftGrants, giftStockLevels, giftStocksQuery } from "../catalog/index.js";
import { findVisibleMember, memberNames } from "../members/index.js";
import { giftSourceRef, giftStockKey } from "./package-config.js";
import { serializeOrder } from "./package-orders.schemas.js";
import { PackagesError } from "./packages.errors.js";
import { findOrder, type OrderRow, type PackageRow } from "./packages.repository.js";
import { serializePackage } from "./packages.schemas.js";
import type { RefundResult } from "./refund-package-order.js";

/** Read views of packages and orders: what the routes answer, with what they need read. */

/**
 * The gift stock rows of the perks of the packages the query reads, as one query for
 * `Database.tenantQueries` beside it: the keys are `giftStockKey`'s, made in SQL.
 */
export function packageStocksQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  packages: SelectQueryBuilder<DB, "packages", PackageRow>,
) {
  return giftStocksQuery(
    qc,
    tenantId,
    sql<string>`(select 'package:' || p.id || ':' || (perk->>'key') from ${packages} p cross join jsonb_array_elements(p.perks) perk)`,
  );
}

/** The gift stock levels of the packages' gift perks. */
export async function stocksOf(trx: Tx, tenantId: string, rows: PackageRow[]) {
  const keys = rows.flatMap((r) => r.perks.map((p) => giftStockKey(r.id, p.key)));
  return giftStockLevels(trx, tenantId, keys);
}

export async function packageView(trx: Tx, tenantId: string, row: PackageRow) {
  return serializePackage(row, await stocksOf(trx, tenantId, [row]));
}

/** An order with its period and the gifts its perks gave. */
export async function orderView(trx: Tx, order: OrderRow, now: Date) {
  return (await orderViews(trx, order.tenant_id, [order], now))[0]!;
}

/**
 * A page of orders as the list shows them, each with its member's name (`orderViews` and the
 * names in one more read).
 */
export async function orderListView(trx: Tx, tenantId: string, orders: readonly OrderRow[], now: Date) {
  const views = await orderViews(trx, tenantId, orders, now);
  const names = await memberNames(
    trx,
    tenantId,
    orders.map((o) => o.member_id),
  );
  return views.map((view) => {
    const name = names.get(view.member_id);
    return name === undefined ? view : { ...view, member_name: name };
  });
}

/** Orders with their periods and gifts: the periods in one read and the grants in one, whatever their number. */
async function orderViews(trx: Tx, tenantId: string, orders: readonly OrderRow[], now: Date) {
  if (orders.length === 0) return [];
  const periodIds = orders.flatMap((o) => (o.period_id ? [o.period_id] : []));
  const refsOf = (o: OrderRow) =>
    o.snapshot.perks.filter((p) => "gift" in p).map((p) => giftSourceRef(o.id, p.key));
  const periods =
    periodIds.length === 0
      ? []
      : await trx
          .selectFrom("package_periods")
          .selectAll()
          .where("tenant_id", "=", tenantId)
          .where("id", "in", periodIds)
          .execute();
  const grants = await giftGrants(trx, tenantId, orders.flatMap(refsOf));
  const periodById = new Map(periods.map((p) => [p.id, p]));
  const grantsByRef = new Map<string, typeof grants>();
  for (const g of grants) grantsByRef.set(g.source_ref, [...(grantsByRef.get(g.source_ref) ?? []), g]);
  return orders.map((o) =>
    serializeOrder(
      o,
      o.period_id ? periodById.get(o.period_id) : undefined,
      refsOf(o).flatMap((ref) => grantsByRef.get(ref) ?? []),
      now,
    ),
  );
}

export async function refundView(trx: Tx, result: RefundResult, now: Date) {
  return {
    object: "package_refund" as const,
    order: await orderView(trx, result.order, now),
    withdrawn_voucher_ids: result.withdrawnVoucherIds,
    kept_voucher_ids: result.keptVoucherIds,
    money_returned_to: result.moneyReturnedTo,
    amount_returned: result.amountReturned,
  };
}

/** Staff who see the member, or that member's own token; others answer as missing. */
export async function visibleOrder(trx: Tx, actor: Actor, id: string) {
  const order = await findOrder(trx, actor.tenantId, id);
  await findVisibleMember(trx, actor, order.member_id).catch(() => {
    throw new PackagesError("package_order_not_found", "Package order not found");
  });
  return order;
}

/** Packages by id with their name, status and audience (unknown ids are left out): pages that link packages. */
export async function packageSummaries(trx: Tx, tenantId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return trx
    .selectFrom("packages")
    .select(["id", "name", "status", "audience"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", [...ids])
    .execute();
}
