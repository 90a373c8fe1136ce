import { DateTime } from "luxon";
import type { Tx } from "../../db/database.js";
import { tenantZone } from "../../platform/tenants.js";
import { accountIds } from "./wallets.ledger.js";
import type { WalletSettings } from "./wallets.repository.js";

/** The ledger accounts that together are the members' balance (principal and bonus, tagged lots too). */
export const MEMBER_BALANCE_KINDS = [
  "member_principal",
  "member_bonus",
  "member_principal_lot",
  "member_bonus_lot",
] as const;

/** The change-log rows the totals count: top-ups and balance payments from `from` on. */
export function countedChanges(trx: Tx, tenantId: string, asset: string, from: Date) {
  return trx
    .selectFrom("wallet_changes")
    .where("tenant_id", "=", tenantId)
    .where("account", "=", "balance")
    .where("asset", "=", asset)
    .where("kind", "in", ["topup_offline", "topup_online", "payment"])
    .where("created_at", ">=", from);
}

export interface WalletTotals {
  asset: string;
  timezone: string;
  /** Start and end of "today" in the tenant's time zone, as instants. */
  today: { from: string; to: string };
  /** Principal + bonus posted on every member's accounts right now. */
  total_balance: number;
  /** Balance payments posted, net of refunds, since the beginning. */
  total_consumption: number;
  /** Online + offline top-ups of today (principal topped up; bonuses, rewards and exchanges excluded). */
  today_increase: number;
  /** Balance payments posted today (offline withdrawals excluded; refunds not subtracted). */
  today_consumption: number;
}

/**
 * The seed's totals, exactly: all read from the ledger (balances) and the change log (what
 * happened today), with "today" as the tenant's calendar day.
 */
export async function walletTotals(
  trx: Tx,
  tenantId: string,
  settings: WalletSettings,
  now: Date,
): Promise<WalletTotals> {
  const zone = await tenantZone(trx, tenantId);
  const start = DateTime.fromJSDate(now, { zone }).startOf("day");
  const from = start.toJSDate();
  const to = start.plus({ days: 1 }).toJSDate();
  const held = await trx
    .selectFrom("ledger_accounts")
    .select((eb) =>
      eb.fn
        .coalesce(eb.fn.sum<string>(eb("credits_posted", "-", eb.ref("debits_posted"))), eb.lit(0))
        .as("total"),
    )
    .where("tenant_id", "=", tenantId)
    .where("asset", "=", settings.asset)
    .where("kind", "in", MEMBER_BALANCE_KINDS)
    .executeTakeFirstOrThrow();
  const sales = await trx
    .selectFrom("ledger_accounts")
    .select(["credits_posted", "debits_posted"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", accountIds.system("sales", settings.asset))
    .executeTakeFirst();
  const today = await countedChanges(trx, tenantId, settings.asset, from)
    .select([
      (eb) =>
        eb.fn
          .coalesce(
            eb.fn.sum<string>(
              eb
                .case()
                .when("kind", "in", ["topup_offline", "topup_online"])
                .then(eb.ref("principal_delta"))
                .else(0)
                .end(),
            ),
            eb.lit(0),
          )
          .as("increase"),
      (eb) =>
        eb.fn
          .coalesce(
            eb.fn.sum<string>(eb.case().when("kind", "=", "payment").then(eb.ref("amount")).else(0).end()),
            eb.lit(0),
          )
          .as("consumption"),
    ])
    .where("created_at", "<", to)
    .executeTakeFirstOrThrow();
  return {
    asset: settings.asset,
    timezone: zone,
    today: { from: from.toISOString(), to: to.toISOString() },
    total_balance: Number(held.total),
    total_consumption: sales ? sales.credits_posted - sales.debits_posted : 0,
    today_increase: Number(today.increase),
    today_consumption: -Number(today.consumption),
  };
}
