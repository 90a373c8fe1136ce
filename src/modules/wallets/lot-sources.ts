import { tenantZone } from "../../platform/tenants.js";
import {
  localDay,
  lotAvailable,
  orderSources,
  planSpend,
  type SpendLine,
  type SpendSource,
} from "./spend-plan.js";
import {
  accountIds,
  type BalanceReader,
  readerBalances,
  readerLots,
  type UnitOfWork,
} from "./wallets.ledger.js";
import { loadSettings, type SpendOrder } from "./wallets.repository.js";

/**
 * Every source of the member's balance as the reader sees it (a unit of work locks the
 * accounts; a peeking reader, for quotes, does not), in spending order, with the lots' day rules applied at `now` in the tenant's zone. `rules: false` is
 * for an operator's withdrawal: every lot gives all it holds, whatever it may be spent on.
 */
export async function spendSources(
  uow: BalanceReader,
  memberId: string,
  order: SpendOrder,
  now: Date,
  options: { rules?: boolean } = {},
): Promise<SpendSource[]> {
  const rules = options.rules ?? true;
  const today = localDay(now, uow.prefetched?.zone ?? (await tenantZone(uow.trx, uow.tenantId)));
  const sources: SpendSource[] = [];
  for (const kind of ["principal", "bonus"] as const) {
    const accountId = kind === "principal" ? accountIds.principal(memberId) : accountIds.bonus(memberId);
    const b = await uow.balances(accountId);
    sources.push({
      accountId,
      lotId: null,
      kind,
      available: b?.available ?? 0,
      eligibleSkus: null,
      createdAt: 0,
    });
  }
  const lots = await readerLots(uow, memberId);
  const balances = await readerBalances(
    uow,
    lots.map((l) => l.id),
  );
  for (const [i, lot] of lots.entries()) {
    const available = balances[i]?.available ?? 0;
    sources.push({
      accountId: lot.id,
      lotId: lot.id,
      kind: lot.kind,
      available: rules ? lotAvailable(lot, available, today) : available,
      eligibleSkus: rules ? lot.eligible_skus : null,
      createdAt: lot.created_at.getTime(),
    });
  }
  return orderSources(sources, order);
}

/**
 * What balance may pay of an order now: all of `lines` (SKU and amount still to pay) and
 * `rest` (not on a line), under every lot's rules. Without lines only unrestricted money counts.
 */
export async function usableBalance(
  uow: UnitOfWork,
  memberId: string,
  order: { lines: readonly SpendLine[] | null; rest: number },
  now: Date,
): Promise<number> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  const sources = await spendSources(uow, memberId, settings.spend_order, now);
  const whole = (order.lines ?? []).reduce((s, l) => s + l.amount, 0) + order.rest;
  const cap = order.lines === null ? sources.reduce((s, x) => s + Math.max(0, x.available), 0) : whole;
  return planSpend(cap, sources, order.lines, order.rest).total;
}
