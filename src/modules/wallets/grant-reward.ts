import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { MAX_POINTS_PER_OPERATION } from "./change-points.js";
import { creditPoints, pointsTotal } from "./points-lots.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import {
  logChange,
  memberBalance,
  openMemberAccounts,
  openSystem,
  type UnitOfWork,
} from "./wallets.ledger.js";
import {
  assertWithinCap,
  loadSettings,
  POINTS_ASSET,
  type RewardSource,
  type WalletAccount,
} from "./wallets.repository.js";

/**
 * A reward from a named source (form, promotion, referral, manual) with the source's
 * reference: balance rewards go to the bonus account, points to a points lot, referral
 * points to a referral lot. Totals per member and per source come from the change log.
 */
export async function grantReward(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: {
    memberId: string;
    account: WalletAccount;
    amount: number;
    source: RewardSource;
    sourceRef?: string | null;
    note?: string | null;
  },
  now: Date,
): Promise<{ change_id: string; balance_after: number }> {
  // Points have no cap in the settings; a reward in points is bounded like every points
  // operation, or a few rewards would fill the tenant's shared points-issued account.
  if (input.account !== "balance" && input.amount > MAX_POINTS_PER_OPERATION) {
    throw new WalletsError(
      "validation_failed",
      `A points reward is at most ${MAX_POINTS_PER_OPERATION} points`,
      {
        errors: [{ field: "/body/amount", message: `at most ${MAX_POINTS_PER_OPERATION} points` }],
      },
    );
  }
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  if (input.account === "balance") assertWithinCap(settings, input.amount);
  await lockUsableMember(uow.trx, ctx.actor, input.memberId);
  let after: number;
  let asset: string;
  if (input.account === "balance") {
    asset = settings.asset;
    const accounts = await openMemberAccounts(uow, input.memberId, asset);
    expectTransfer(
      await uow.transfer({
        debit_account_id: await openSystem(uow, "rewards", asset),
        credit_account_id: accounts.bonus,
        amount: input.amount,
        code: `reward_${input.source}`,
        reference_module: "wallets",
        reference_id: input.sourceRef ?? input.memberId,
      }),
    );
    after = (await memberBalance(uow, input.memberId)).total;
  } else {
    asset = POINTS_ASSET;
    await creditPoints(
      uow,
      settings,
      {
        kind: input.account,
        memberId: input.memberId,
        amount: input.amount,
        from: "points_issued",
        code: `reward_${input.source}`,
      },
      now,
    );
    after = await pointsTotal(uow, input.account, input.memberId, now);
  }
  const changeId = logChange(
    uow,
    ctx.actor,
    {
      memberId: input.memberId,
      account: input.account,
      kind: "reward",
      asset,
      amount: input.amount,
      bonusDelta: input.account === "balance" ? input.amount : 0,
      balanceAfter: after,
      source: input.source,
      sourceRef: input.sourceRef,
      note: input.note,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.rewarded",
      targetType: "member",
      targetId: input.memberId,
      summary: {
        account: input.account,
        amount: input.amount,
        source: input.source,
        source_ref: input.sourceRef ?? null,
      },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.rewarded",
    {
      member_id: input.memberId,
      account: input.account,
      asset,
      amount: input.amount,
      source: input.source,
      source_ref: input.sourceRef ?? null,
    },
    now,
  );
  return { change_id: changeId, balance_after: after };
}
