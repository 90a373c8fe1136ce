import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { divideRounded, parseDecimalRate } from "../../shared/money.js";
import { lockUsableMember } from "../members/index.js";
import { systemReason } from "./change-reasons.js";
import { debitPoints, type PointsKind, pointsTotal } from "./points-lots.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import {
  logChange,
  memberBalance,
  openMemberAccounts,
  openSystem,
  type UnitOfWork,
} from "./wallets.ledger.js";
import { assertWithinCap, assetScale, loadSettings, POINTS_ASSET } from "./wallets.repository.js";

/**
 * Balance (minor units) for `points` at `pointsPerUnit` points per one major unit of the
 * balance asset. Rounding: down to the minor unit (the member never gets a fraction of a
 * cent; the fraction is not paid out). 150 points at "100" per CNY → 150 × 100 / 100 = 150
 * fen = 1.50; 1 point at "3" per CNY → 33 fen (33.33… rounded down).
 */
export function exchangeAmount(points: number, pointsPerUnit: string, scale: number): number {
  const { numerator, denominator } = parseDecimalRate(pointsPerUnit);
  if (numerator === 0n) throw new WalletsError("validation_failed", "The exchange ratio must be positive");
  // points × 10^scale / (numerator / denominator)
  const credited = divideRounded(BigInt(points) * 10n ** BigInt(scale) * denominator, numerator, "down");
  return Number(credited);
}

/**
 * Exchanges points (or referral points) into balance at a ratio given for this exchange or
 * the tenant's default; the points are spent in full, the balance credited to bonus.
 */
export async function exchangePoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { memberId: string; from: PointsKind; points: number; pointsPerUnit?: string; note?: string | null },
  now: Date,
): Promise<{ change_id: string; credited: number; points_per_unit: string }> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  const ratio = input.pointsPerUnit ?? settings.points_per_unit;
  const scale = await assetScale(uow.trx, uow.tenantId, settings.asset);
  const credited = exchangeAmount(input.points, ratio, scale);
  if (credited < 1) {
    throw new WalletsError(
      "exchange_too_small",
      `${input.points} points at ${ratio} per unit is less than one minor unit`,
    );
  }
  assertWithinCap(settings, credited);
  await lockUsableMember(uow.trx, ctx.actor, input.memberId);
  await debitPoints(
    uow,
    {
      kind: input.from,
      memberId: input.memberId,
      amount: input.points,
      to: "points_exchanged",
      code: "exchange",
    },
    now,
  );
  const accounts = await openMemberAccounts(uow, input.memberId, settings.asset);
  expectTransfer(
    await uow.transfer({
      debit_account_id: await openSystem(uow, "exchange", settings.asset),
      credit_account_id: accounts.bonus,
      amount: credited,
      code: "exchange",
      reference_module: "wallets",
      reference_id: input.memberId,
      metadata: { points: input.points, points_per_unit: ratio, from: input.from },
    }),
  );
  const balance = await memberBalance(uow, input.memberId);
  logChange(
    uow,
    ctx.actor,
    {
      memberId: input.memberId,
      account: input.from,
      kind: "exchange_out",
      asset: POINTS_ASSET,
      amount: -input.points,
      balanceAfter: await pointsTotal(uow, input.from, input.memberId, now),
      note: input.note,
      reason: systemReason("points_exchanged", { ratio }),
    },
    now,
  );
  const changeId = logChange(
    uow,
    ctx.actor,
    {
      memberId: input.memberId,
      account: "balance",
      kind: "exchange_in",
      asset: settings.asset,
      amount: credited,
      bonusDelta: credited,
      balanceAfter: balance.total,
      source: input.from,
      note: input.note,
      reason: systemReason("points_exchanged_in", { points: input.points, kind: input.from, ratio }),
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.points_exchanged",
      targetType: "member",
      targetId: input.memberId,
      summary: { from: input.from, points: input.points, points_per_unit: ratio, credited },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.points_exchanged",
    { member_id: input.memberId, asset: settings.asset, from: input.from, points: input.points, credited },
    now,
  );
  return { change_id: changeId, credited, points_per_unit: ratio };
}
