import { sql } from "kysely";
import { DateTime } from "luxon";
import { expectTransfer } from "../../ledger/index.js";
import { tenantZone } from "../../platform/tenants.js";
import { assert } from "../../shared/assert.js";
import { WalletsError } from "./wallets.errors.js";
import { openLot, openSystem, type SystemPurpose, type UnitOfWork } from "./wallets.ledger.js";
import { POINTS_ASSET, type WalletSettings } from "./wallets.repository.js";

export type PointsKind = "points" | "referral_points";
/** The longest `points_validity_days` a tenant may set (ten years). */
export const MAX_POINTS_VALIDITY_DAYS = 3660;
/**
 * A member holds at most this many unexpired lots of one kind: one per expiry day, and the
 * days run from today to today + the longest validity (a day more for a time-zone change,
 * and the days its old and new midnights both end a lot: two each), plus the lot that never
 * expires.
 */
export const MAX_LOTS = MAX_POINTS_VALIDITY_DAYS + 6;

/**
 * Points earned on a day (tenant time zone) expire at the end of the day `validity_days`
 * later: earned 2026-01-01 with 30 days → usable through 2026-01-31, gone at 2026-02-01 00:00
 * local. Without validity they never expire. Lots are keyed by that last day.
 */
export function lotExpiry(
  validityDays: number | null,
  zone: string,
  now: Date,
): { expiresAt: Date | null; key: string } {
  if (validityDays === null) return { expiresAt: null, key: "never" };
  const lastDay = DateTime.fromJSDate(now, { zone }).startOf("day").plus({ days: validityDays });
  return { expiresAt: lastDay.plus({ days: 1 }).toJSDate(), key: lastDay.toFormat("yyyyLLdd") };
}

export async function creditPoints(
  uow: UnitOfWork,
  settings: WalletSettings,
  input: {
    kind: PointsKind;
    memberId: string;
    amount: number;
    from: SystemPurpose;
    code: string;
    memo?: string | null;
  },
  now: Date,
): Promise<void> {
  const zone = await tenantZone(uow.trx, uow.tenantId);
  const { expiresAt, key } = lotExpiry(settings.points_validity_days, zone, now);
  const lot = await openLot(uow, input.kind, input.memberId, expiresAt, key, now);
  const source = await openSystem(uow, input.from, POINTS_ASSET);
  expectTransfer(
    await uow.transfer({
      debit_account_id: source,
      credit_account_id: lot,
      amount: input.amount,
      code: input.code,
      reference_module: "wallets",
      reference_id: input.memberId,
      memo: input.memo ?? null,
    }),
  );
}

/**
 * The member's unexpired lots of a kind that hold points, locked, with balances as this unit
 * sees them; earliest expiry first (never-expiring last), the order spending takes them in.
 * A lot is picked by its stored balance, or because this transaction changed it and has not
 * written it yet (a lot credited earlier in the batch, or created in it), so a lot emptied
 * long ago costs nothing and one filled again just now is not missed.
 */
export async function lockedLots(uow: UnitOfWork, kind: PointsKind, memberId: string, now: Date) {
  const unwritten = await uow.unwrittenAccounts("wallets", memberId);
  const rows = await uow.trx
    .selectFrom("wallet_point_lots as l")
    .leftJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "l.tenant_id").onRef("a.id", "=", "l.account_id"),
    )
    .select(["l.account_id", "l.expires_at"])
    .where("l.tenant_id", "=", uow.tenantId)
    .where("l.member_id", "=", memberId)
    .where("l.kind", "=", kind)
    .where((eb) => eb.or([eb("l.expires_at", "is", null), eb("l.expires_at", ">", now)]))
    .where((eb) =>
      eb.or([
        eb("a.id", "is", null),
        eb("a.credits_posted", ">", eb.ref("a.debits_posted")),
        ...(unwritten.length > 0 ? [eb("l.account_id", "in", unwritten)] : []),
      ]),
    )
    .orderBy(sql`l.expires_at asc nulls last`)
    .orderBy("l.account_id")
    .limit(MAX_LOTS + 1)
    .execute();
  // One lot per expiry day: more would mean lots this module never makes.
  assert(rows.length <= MAX_LOTS, `member ${memberId} holds more than ${MAX_LOTS} ${kind} lots`);
  const balances = await uow.balancesMany(rows.map((r) => r.account_id));
  return rows
    .map((row, i) => ({
      account_id: row.account_id,
      expires_at: row.expires_at,
      available: balances[i]?.available ?? 0,
    }))
    .filter((lot) => lot.available > 0);
}

export async function pointsTotal(
  uow: UnitOfWork,
  kind: PointsKind,
  memberId: string,
  now: Date,
): Promise<number> {
  return (await lockedLots(uow, kind, memberId, now)).reduce((s, l) => s + l.available, 0);
}

/**
 * Takes `amount` points from the lots expiring first (those in `firstFrom` before all others);
 * refuses if the unexpired lots hold less, or with `upTo` takes all they hold. Answers what it
 * took and what is left.
 */
export async function debitPoints(
  uow: UnitOfWork,
  input: {
    kind: PointsKind;
    memberId: string;
    amount: number;
    to: SystemPurpose;
    code: string;
    memo?: string | null;
    firstFrom?: readonly string[];
    upTo?: boolean;
  },
  now: Date,
): Promise<{ taken: number; left: number }> {
  const byExpiry = await lockedLots(uow, input.kind, input.memberId, now);
  const first = (lot: { account_id: string }) => input.firstFrom?.includes(lot.account_id) ?? false;
  const lots = [...byExpiry.filter(first), ...byExpiry.filter((lot) => !first(lot))];
  const available = lots.reduce((s, l) => s + l.available, 0);
  if (input.amount > available && !input.upTo) {
    throw new WalletsError(
      "insufficient_points",
      `The member has ${available} ${input.kind.replace("_", " ")}`,
      {
        extra: { available, shortfall: input.amount - available },
      },
    );
  }
  const taken = Math.min(input.amount, available);
  if (taken === 0) return { taken, left: available };
  const sink = await openSystem(uow, input.to, POINTS_ASSET);
  let left = taken;
  const transfers = [];
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(left, lot.available);
    if (take <= 0) continue;
    transfers.push({
      debit_account_id: lot.account_id,
      credit_account_id: sink,
      amount: take,
      code: input.code,
      reference_module: "wallets",
      reference_id: input.memberId,
      memo: input.memo ?? null,
    });
    left -= take;
  }
  for (const r of await uow.transfers(transfers)) {
    expectTransfer(r, {
      insufficient_funds: () => new WalletsError("insufficient_points", "Not enough points"),
    });
  }
  return { taken, left: available - taken };
}
