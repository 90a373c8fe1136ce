import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { emitWalletEvent } from "./wallets.events.js";
import {
  logChange,
  type MemberBalance,
  memberBalance,
  openMemberAccounts,
  openSystem,
  type UnitOfWork,
} from "./wallets.ledger.js";
import { assertWithinCap, loadSettings } from "./wallets.repository.js";

export interface TopUpResult {
  change_id: string;
  principal_amount: number;
  bonus_amount: number;
  balance: MemberBalance;
}

/**
 * An operator records money received outside the system: `amount` to the principal and an
 * optional `bonus_amount` to the bonus, linked (both or neither).
 */
export async function topUpOffline(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: {
    memberId: string;
    amount: number;
    bonusAmount?: number;
    reason?: string | null;
    note?: string | null;
  },
  now: Date,
): Promise<TopUpResult> {
  const { actor } = ctx;
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  const bonus = input.bonusAmount ?? 0;
  assertWithinCap(settings, input.amount);
  assertWithinCap(settings, bonus, "bonus_amount");
  await lockUsableMember(uow.trx, actor, input.memberId);
  const accounts = await openMemberAccounts(uow, input.memberId, settings.asset);
  const transfers = [
    {
      debit_account_id: await openSystem(uow, "topup_offline", settings.asset),
      credit_account_id: accounts.principal,
      amount: input.amount,
      code: "topup_offline",
      reference_module: "wallets",
      reference_id: input.memberId,
      memo: input.reason ?? null,
    },
  ];
  if (bonus > 0) {
    transfers.push({
      debit_account_id: await openSystem(uow, "rewards", settings.asset),
      credit_account_id: accounts.bonus,
      amount: bonus,
      code: "topup_bonus",
      reference_module: "wallets",
      reference_id: input.memberId,
      memo: input.reason ?? null,
    });
  }
  const results = await uow.transfers(transfers);
  for (const r of results) expectTransfer(r);
  const balance = await memberBalance(uow, input.memberId);
  const changeId = logChange(
    uow,
    actor,
    {
      memberId: input.memberId,
      account: "balance",
      kind: "topup_offline",
      asset: settings.asset,
      amount: input.amount + bonus,
      principalDelta: input.amount,
      bonusDelta: bonus,
      balanceAfter: balance.total,
      reason: input.reason,
      note: input.note,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.topped_up",
      targetType: "member",
      targetId: input.memberId,
      summary: {
        channel: "offline",
        amount: input.amount,
        bonus_amount: bonus,
        asset: settings.asset,
        reason: input.reason,
      },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.topped_up",
    {
      member_id: input.memberId,
      asset: settings.asset,
      channel: "offline",
      principal_amount: input.amount,
      bonus_amount: bonus,
      balance_after: balance.total,
      intent_id: null,
    },
    now,
  );
  return { change_id: changeId, principal_amount: input.amount, bonus_amount: bonus, balance };
}
