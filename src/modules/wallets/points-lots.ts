import { DateTime } from "luxon";
import { expectTransfer } from "../../ledger/index.js";
import { tenantZone } from "../../platform/tenants.js";
import { WalletsError } from "./wallets.errors.js";
import { openLot, openSystem, type SystemPurpose, type UnitOfWork } from "./wallets.ledger.js";
import { POINTS_ASSET, type WalletSettings } from "./wallets.repository.js";

export type PointsKind = "points" | "referral_points";
/** A member holds at most this many unexpired lots of one kind (one per expiry day). */
export const MAX_LOTS = 1000;

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

/** The member's unexpired lots of a kind, locked, with balances as this unit sees them; earliest expiry first. */
export async function lockedLots(uow: UnitOfWork, kind: PointsKind, memberId: string, now: Date) {
  const rows = await uow.trx
    .selectFrom("wallet_point_lots")
    .select(["account_id", "expires_at"])
    .where("tenant_id", "=", uow.tenantId)
    .where("member_id", "=", memberId)
    .where("kind", "=", kind)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .limit(MAX_LOTS)
    .execute();
  rows.sort(
    (a, b) =>
      (a.expires_at?.getTime() ?? Number.MAX_SAFE_INTEGER) -
        (b.expires_at?.getTime() ?? Number.MAX_SAFE_INTEGER) || a.account_id.localeCompare(b.account_id),
  );
  const lots = [];
  for (const row of rows) {
    const b = await uow.balances(row.account_id);
    lots.push({ account_id: row.account_id, expires_at: row.expires_at, available: b?.available ?? 0 });
  }
  return lots;
}

export async function pointsTotal(
  uow: UnitOfWork,
  kind: PointsKind,
  memberId: string,
  now: Date,
): Promise<number> {
  return (await lockedLots(uow, kind, memberId, now)).reduce((s, l) => s + l.available, 0);
}

/** Takes `amount` points from the lots expiring first; refuses if the unexpired lots hold less. */
export async function debitPoints(
  uow: UnitOfWork,
  input: {
    kind: PointsKind;
    memberId: string;
    amount: number;
    to: SystemPurpose;
    code: string;
    memo?: string | null;
  },
  now: Date,
): Promise<number> {
  const lots = await lockedLots(uow, input.kind, input.memberId, now);
  const available = lots.reduce((s, l) => s + l.available, 0);
  if (input.amount > available) {
    throw new WalletsError(
      "insufficient_points",
      `The member has ${available} ${input.kind.replace("_", " ")}`,
      {
        extra: { available, shortfall: input.amount - available },
      },
    );
  }
  const sink = await openSystem(uow, input.to, POINTS_ASSET);
  let left = input.amount;
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
  return available - input.amount;
}
