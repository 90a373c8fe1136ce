import { sql } from "kysely";
import { DateTime } from "luxon";
import type { Tx } from "../../db/database.js";
import { tenantZone } from "../../platform/tenants.js";
import { countedChanges, MEMBER_BALANCE_KINDS, walletTotals } from "./wallet-totals.js";
import type { WalletSettings } from "./wallets.repository.js";

/** How many calendar days one answer may cover. */
export const MAX_DAYS = 90;

export interface DailyTotal {
  /** The tenant's calendar day, YYYY-MM-DD. */
  date: string;
  /** Online + offline top-ups (principal), as today_increase counts them. */
  topups: number;
  /** Balance payments, as today_consumption counts them. */
  consumption: number;
  /** Principal + bonus held by all members at the end of the day (now, for today). */
  closing_balance: number;
}

/**
 * The last `days` calendar days in the tenant's zone, oldest first. Top-ups and consumption
 * come from the change log with the same rules as the totals; the closing balance walks the
 * ledger back from now: today's total minus what every later posted transfer added.
 */
export async function dailyTotals(
  trx: Tx,
  tenantId: string,
  settings: WalletSettings,
  days: number,
  now: Date,
): Promise<{ timezone: string; data: DailyTotal[] }> {
  const zone = await tenantZone(trx, tenantId);
  const today = DateTime.fromJSDate(now, { zone }).startOf("day");
  const first = today.minus({ days: days - 1 });
  const from = first.toJSDate();
  const day = sql<string>`to_char(created_at at time zone ${zone}, 'YYYY-MM-DD')`;
  const changes = await countedChanges(trx, tenantId, settings.asset, from)
    .select((eb) => [
      day.as("day"),
      eb.fn
        .sum<string>(
          eb
            .case()
            .when("kind", "in", ["topup_offline", "topup_online"])
            .then(eb.ref("principal_delta"))
            .else(0)
            .end(),
        )
        .as("topups"),
      eb.fn
        .sum<string>(eb.case().when("kind", "=", "payment").then(eb.ref("amount")).else(0).end())
        .as("payments"),
    ])
    // By position: the zone is a parameter, and a repeated expression would be a second one.
    .groupBy(sql`1`)
    .execute();
  // Net change of the members' balance per day: credits to their accounts minus debits.
  const moved = await sql<{ day: string; net: string }>`
    select to_char(t.created_at at time zone ${zone}, 'YYYY-MM-DD') as day,
           sum(case when c.kind in (${sql.join(MEMBER_BALANCE_KINDS)}) then t.amount else 0 end)
         - sum(case when d.kind in (${sql.join(MEMBER_BALANCE_KINDS)}) then t.amount else 0 end) as net
    from ledger_transfers t
    join ledger_accounts c on c.tenant_id = t.tenant_id and c.id = t.credit_account_id
    join ledger_accounts d on d.tenant_id = t.tenant_id and d.id = t.debit_account_id
    where t.tenant_id = ${tenantId} and t.asset = ${settings.asset}
      and t.kind in ('posted', 'post_pending') and t.created_at >= ${from}
    group by 1`.execute(trx);
  const totals = await walletTotals(trx, tenantId, settings, now);
  const byDay = new Map(changes.map((c) => [c.day, c]));
  const netByDay = new Map(moved.rows.map((r) => [r.day, Number(r.net)]));
  const data: DailyTotal[] = [];
  let closing = totals.total_balance;
  for (let i = days - 1; i >= 0; i--) {
    const date = first.plus({ days: i }).toISODate()!;
    const c = byDay.get(date);
    data.push({
      date,
      topups: Number(c?.topups ?? 0),
      consumption: -Number(c?.payments ?? 0),
      closing_balance: closing,
    });
    closing -= netByDay.get(date) ?? 0;
  }
  return { timezone: zone, data: data.reverse() };
}
