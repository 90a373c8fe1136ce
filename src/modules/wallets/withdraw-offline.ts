import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { spendSources } from "./lot-sources.js";
import { planSpend } from "./spend-plan.js";
import { WalletsError } from "./wallets.errors.js";
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

/**
 * Records that the member took money (or goods) outside the system: a manual reduction of
 * the balance, principal first, then bonus. Never more than the available balance (held
 * amounts are not available).
 */
export async function withdrawOffline(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { memberId: string; amount: number; reason?: string | null; note?: string | null },
  now: Date,
): Promise<{ change_id: string; principal_amount: number; bonus_amount: number; balance: MemberBalance }> {
  const { actor } = ctx;
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  assertWithinCap(settings, input.amount);
  await lockUsableMember(uow.trx, actor, input.memberId);
  await openMemberAccounts(uow, input.memberId, settings.asset);
  const before = await memberBalance(uow, input.memberId);
  if (input.amount > before.available) {
    throw new WalletsError("insufficient_balance", `The available balance is ${before.available}`, {
      extra: { available: before.available, shortfall: input.amount - before.available },
    });
  }
  // An operator's reduction takes principal first, then bonus, lots included whatever they
  // may be spent on (untagged account last within each kind).
  const sources = await spendSources(uow, input.memberId, "principal_first", now, { rules: false });
  const plan = planSpend(input.amount, sources, null, 0);
  const principal = plan.legs.filter((l) => l.kind === "principal").reduce((s, l) => s + l.amount, 0);
  const bonus = input.amount - principal;
  const sink = await openSystem(uow, "withdrawal", settings.asset);
  const refusal = {
    insufficient_funds: () => new WalletsError("insufficient_balance", "The balance is too low"),
  };
  for (const r of await uow.transfers(
    plan.legs.map((l) => ({
      debit_account_id: l.accountId,
      credit_account_id: sink,
      amount: l.amount,
      code: "withdrawal",
      reference_module: "wallets",
      reference_id: input.memberId,
      memo: input.reason ?? null,
    })),
  )) {
    expectTransfer(r, refusal);
  }
  const lots = plan.legs.flatMap((l) =>
    l.lotId ? [{ lot_id: l.lotId, kind: l.kind, amount: -l.amount }] : [],
  );
  const balance = await memberBalance(uow, input.memberId);
  const changeId = logChange(
    uow,
    actor,
    {
      memberId: input.memberId,
      account: "balance",
      kind: "withdrawal",
      asset: settings.asset,
      amount: -input.amount,
      principalDelta: -principal,
      bonusDelta: -bonus,
      balanceAfter: balance.total,
      reason: input.reason,
      note: input.note,
      lots,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.withdrawn",
      targetType: "member",
      targetId: input.memberId,
      summary: { amount: input.amount, asset: settings.asset, reason: input.reason },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.withdrawn",
    {
      member_id: input.memberId,
      asset: settings.asset,
      principal_amount: principal,
      bonus_amount: bonus,
      balance_after: balance.total,
    },
    now,
  );
  return { change_id: changeId, principal_amount: principal, bonus_amount: bonus, balance };
}
