import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { newId } from "../../shared/ids.js";
import { lockUsableMember } from "../members/index.js";
import { assertRoomForLots, LOTS_PER_TAGGED_TOPUP, type LotMove } from "./lots.repository.js";
import { localDay } from "./spend-plan.js";
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

export interface LotRules {
  /** Null: usable on anything; else only on order lines with these SKUs. */
  eligibleSkus: string[] | null;
  /** On the top-up day at most this share (basis points) of each lot may be spent. */
  sameDayLimitBps: number | null;
  /** The bonus lot cannot be spent on the top-up day. */
  noBonusOnTopupDay: boolean;
}

export interface TaggedTopupInput {
  memberId: string;
  /** What the money came from (a plan's top-up): one credit per source id. */
  source: { type: string; id: string; name: string };
  principal: number;
  bonus: number;
  /** How the money came in: the change log's topup_offline / topup_online. */
  channel: "offline" | "online";
  rules: LotRules;
  /** The payment provider, for an online top-up. */
  provider?: string | null;
}

export interface TaggedTopupResult {
  change_id: string;
  principal_lot_id: string;
  bonus_lot_id: string | null;
  balance: MemberBalance;
}

/**
 * Credits a top-up into two tagged lots (principal, bonus), each its own ledger account that
 * remembers its source and spending rules, in the caller's unit of work. The two transfers
 * are linked and their ids derive from the source, so the same top-up is never credited twice.
 */
export async function creditTaggedTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: TaggedTopupInput,
  now: Date,
): Promise<TaggedTopupResult> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  assertWithinCap(settings, input.principal);
  assertWithinCap(settings, input.bonus, "bonus_amount");
  await lockUsableMember(uow.trx, ctx.actor, input.memberId);
  await openMemberAccounts(uow, input.memberId, settings.asset);
  await assertRoomForLots(uow.trx, uow.tenantId, input.memberId, LOTS_PER_TAGGED_TOPUP);
  const topupDay = localDay(now, await tenantZone(uow.trx, uow.tenantId));
  const open = async (kind: "principal" | "bonus", amount: number) => {
    const id = newId("wlot");
    await uow.trx
      .insertInto("wallet_lots")
      .values({
        tenant_id: uow.tenantId,
        id,
        member_id: input.memberId,
        kind,
        asset: settings.asset,
        amount,
        source_type: input.source.type,
        source_id: input.source.id,
        source_name: input.source.name,
        eligible_skus: input.rules.eligibleSkus ? JSON.stringify(input.rules.eligibleSkus) : null,
        same_day_limit_bps: input.rules.sameDayLimitBps,
        no_use_on_topup_day: kind === "bonus" && input.rules.noBonusOnTopupDay,
        topup_day: topupDay,
        created_at: now,
      })
      .execute()
      .catch((error: { code?: string }) => {
        if (error.code === "23505")
          throw new WalletsError("topup_already_credited", `Top-up ${input.source.id} was already credited`);
        throw error;
      });
    const created = await uow.createAccount({
      id,
      asset: settings.asset,
      kind: `member_${kind}_lot`,
      owner_module: "wallets",
      owner_id: input.memberId,
      debits_must_not_exceed_credits: true,
    });
    if (!created.ok) throw new Error(`ledger refused lot ${id}: ${created.code}`);
    return id;
  };
  const principalLot = await open("principal", input.principal);
  const bonusLot = input.bonus > 0 ? await open("bonus", input.bonus) : null;
  const purpose = input.channel === "online" ? "topup_online" : "topup_offline";
  const transfers = [
    {
      id: `wtlp_${input.source.id}`,
      debit_account_id: await openSystem(uow, purpose, settings.asset),
      credit_account_id: principalLot,
      amount: input.principal,
      code: purpose,
      reference_module: "wallets",
      reference_id: input.source.id,
      memo: input.source.name,
    },
  ];
  if (bonusLot) {
    transfers.push({
      id: `wtlb_${input.source.id}`,
      debit_account_id: await openSystem(uow, "rewards", settings.asset),
      credit_account_id: bonusLot,
      amount: input.bonus,
      code: "topup_bonus",
      reference_module: "wallets",
      reference_id: input.source.id,
      memo: input.source.name,
    });
  }
  for (const r of await uow.transfers(transfers)) expectTransfer(r);
  const touched = bonusLot ? [principalLot, bonusLot] : [principalLot];
  const balance = await memberBalance(uow, input.memberId, touched);
  const lots: LotMove[] = [{ lot_id: principalLot, kind: "principal", amount: input.principal }];
  if (bonusLot) lots.push({ lot_id: bonusLot, kind: "bonus", amount: input.bonus });
  const changeId = logChange(
    uow,
    ctx.actor,
    {
      memberId: input.memberId,
      account: "balance",
      kind: purpose,
      asset: settings.asset,
      amount: input.principal + input.bonus,
      principalDelta: input.principal,
      bonusDelta: input.bonus,
      balanceAfter: balance.total,
      reason: input.source.name,
      source: input.provider ?? input.source.type,
      sourceRef: input.source.id,
      lots,
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
        channel: input.channel,
        amount: input.principal,
        bonus_amount: input.bonus,
        asset: settings.asset,
        source: input.source,
        lots: touched,
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
      channel: input.channel,
      principal_amount: input.principal,
      bonus_amount: input.bonus,
      balance_after: balance.total,
      intent_id: null,
    },
    now,
  );
  return { change_id: changeId, principal_lot_id: principalLot, bonus_lot_id: bonusLot, balance };
}

/**
 * Whether the member has ever been topped up (offline, online or through a plan): a
 * "first-time depositor" is a member with no top-up in the change log. Rewards, exchanges
 * and refunds are not top-ups. Call it with the member locked.
 */
export async function hasToppedUp(uow: Pick<UnitOfWork, "trx" | "tenantId">, memberId: string) {
  const row = await uow.trx
    .selectFrom("wallet_changes")
    .select("id")
    .where("tenant_id", "=", uow.tenantId)
    .where("member_id", "=", memberId)
    .where("kind", "in", ["topup_offline", "topup_online"])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
