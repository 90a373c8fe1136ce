import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { systemReason } from "./change-reasons.js";
import type { LotMove } from "./lots.repository.js";
import { emitWalletEvent } from "./wallets.events.js";
import { logChange, memberBalance, openSystem, type UnitOfWork } from "./wallets.ledger.js";
import { loadSettings } from "./wallets.repository.js";

/**
 * Takes back (part of) a top-up whose payment the provider refunded: up to `principal` from its
 * principal lot and `bonus` from its bonus lot, never more than each lot still holds (what the
 * member already spent stays spent: the shortfall is returned for the caller to record). An
 * untagged top-up (an online top-up intent) has no lot of its own: its principal went into the
 * member's untagged principal account (`principalUntagged`), where money is fungible, so what
 * that account holds is what can be taken. Logged as a withdrawal naming the top-up.
 */
export async function reverseTaggedTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: {
    memberId: string;
    sourceId: string;
    principalLotId: string;
    /** `principalLotId` is the member's untagged principal account, not a lot. */
    principalUntagged?: boolean;
    bonusLotId: string | null;
    principal: number;
    bonus: number;
    channel: "offline" | "online";
  },
  now: Date,
): Promise<{ principal: number; bonus: number; shortfall: number }> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  const take = async (lot: string | null, wanted: number) =>
    lot && wanted > 0 ? Math.min(wanted, Math.max(0, (await uow.balances(lot))?.available ?? 0)) : 0;
  const principal = await take(input.principalLotId, input.principal);
  const bonus = await take(input.bonusLotId, input.bonus);
  const legs = [
    {
      lot: input.principalLotId,
      kind: "principal" as const,
      amount: principal,
      to: input.channel === "online" ? ("topup_online" as const) : ("topup_offline" as const),
    },
    { lot: input.bonusLotId, kind: "bonus" as const, amount: bonus, to: "rewards" as const },
  ].filter((l): l is typeof l & { lot: string } => l.lot !== null && l.amount > 0);
  for (const l of legs) {
    expectTransfer(
      await uow.transfer({
        debit_account_id: l.lot,
        credit_account_id: await openSystem(uow, l.to, settings.asset),
        amount: l.amount,
        code: "topup_reversal",
        reference_module: "wallets",
        reference_id: input.sourceId,
      }),
    );
  }
  // The member's untagged principal account is no lot.
  const lotLegs = legs.filter((l) => !(input.principalUntagged && l.kind === "principal"));
  // The lots' same-day limits count what they gave; what is taken back here was not given.
  for (const l of lotLegs) {
    await uow.trx
      .updateTable("wallet_lots")
      .set((eb) => ({ taken_back: eb("taken_back", "+", l.amount) }))
      .where("tenant_id", "=", uow.tenantId)
      .where("id", "=", l.lot)
      .execute();
  }
  const shortfall = input.principal + input.bonus - principal - bonus;
  if (legs.length > 0) {
    const balance = await memberBalance(uow, input.memberId);
    const lots: LotMove[] = lotLegs.map((l) => ({ lot_id: l.lot, kind: l.kind, amount: -l.amount }));
    logChange(
      uow,
      ctx.actor,
      {
        memberId: input.memberId,
        account: "balance",
        kind: "withdrawal",
        asset: settings.asset,
        amount: -(principal + bonus),
        principalDelta: -principal,
        bonusDelta: -bonus,
        balanceAfter: balance.total,
        reason: systemReason("topup_refunded_by_provider", { topup: input.sourceId }),
        source: "topup_refund",
        sourceRef: input.sourceId,
        lots,
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
  }
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.topup_reversed",
      targetType: "member",
      targetId: input.memberId,
      summary: { source_id: input.sourceId, principal, bonus, shortfall },
    },
    now,
  );
  return { principal, bonus, shortfall };
}
