import { sql } from "kysely";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { inScope } from "../../platform/auth/scope.js";
import { lockTree } from "../../platform/org/org-units.js";
import { newId } from "../../shared/ids.js";
import { handOverQuota } from "./quota-distributor.js";
import { VouchersError } from "./vouchers.errors.js";
import { accountIds, openAccount, type UnitOfWork } from "./vouchers.ledger.js";
import { ancestorOfKind, type QuotaRow, unitInScope } from "./vouchers.repository.js";

export interface QuotaAdjustment {
  resellerId: string;
  asset: string;
  /** Positive raises, negative lowers; never zero. */
  delta: number;
  reason: string;
}

/**
 * A distributor raises or lowers a reseller's voucher quota. Raising moves value from the
 * distributor's funding account into the quota account; lowering moves it back, and the
 * ledger refuses to take more than the quota still holds (what is issued and outstanding
 * is no longer in the quota account), answered as `quota_below_outstanding`. The org tree is
 * locked shared, so no move changes the reseller's distributor between reading it and paying.
 */
export async function adjustQuota(
  uow: UnitOfWork,
  context: RequestContext,
  input: QuotaAdjustment,
  now: Date,
): Promise<{ quota: QuotaRow; changeId: string }> {
  const { actor } = context;
  const trx = uow.trx;
  await lockTree(trx, actor.tenantId, "shared");
  const reseller = await unitInScope(trx, actor, input.resellerId, "org_unit");
  if (reseller.kind !== "reseller")
    throw new VouchersError("not_a_reseller", "Quotas are allocated to resellers");
  const distributor = await ancestorOfKind(trx, actor.tenantId, reseller, "distributor");
  if (!distributor) throw new VouchersError("not_a_distributor", "The reseller has no distributor above it");
  // Only the distributor (or staff above it) allocates: a reseller cannot raise its own quota.
  if (!inScope(actor, distributor.path)) {
    throw new VouchersError("forbidden", "Only the reseller's distributor allocates its voucher quota");
  }
  await trx
    .insertInto("voucher_quotas")
    .values({
      tenant_id: actor.tenantId,
      id: newId("vqt"),
      distributor_id: distributor.id,
      reseller_id: reseller.id,
      asset: input.asset,
      account_id: accountIds.quota(reseller.id, input.asset),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "reseller_id", "asset"]).doNothing())
    .execute();
  const locked = await trx
    .selectFrom("voucher_quotas")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("reseller_id", "=", reseller.id)
    .where("asset", "=", input.asset)
    .forUpdate()
    .executeTakeFirstOrThrow();
  // The reseller moved to this distributor since the quota was last changed.
  const quota =
    locked.distributor_id === distributor.id
      ? locked
      : await handOverQuota(uow, context, locked, distributor.id, now);
  const funding = await openAccount.funding(uow, distributor.id, input.asset);
  const quotaAccount = await openAccount.quota(uow, reseller.id, input.asset);
  const changeId = newId("vqc");
  const raise = input.delta > 0;
  const result = await uow.transfer({
    id: `tr_${changeId}`,
    debit_account_id: raise ? funding : quotaAccount,
    credit_account_id: raise ? quotaAccount : funding,
    amount: Math.abs(input.delta),
    code: raise ? "voucher_quota_raise" : "voucher_quota_lower",
    reference_module: "vouchers",
    reference_id: quota.id,
    memo: input.reason,
  });
  expectTransfer(result, {
    insufficient_funds: () =>
      new VouchersError(
        "quota_below_outstanding",
        "The quota cannot go below what is already issued and outstanding: lower it by at most the available amount",
      ),
  });
  await trx
    .insertInto("voucher_quota_changes")
    .values({
      tenant_id: actor.tenantId,
      id: changeId,
      quota_id: quota.id,
      delta: input.delta,
      reason: input.reason,
      actor_type: actor.type,
      actor_id: actor.id,
      transfer_id: `tr_${changeId}`,
      created_at: now,
    })
    .execute();
  await sql`update voucher_quotas set updated_at = ${now} where tenant_id = ${actor.tenantId} and id = ${quota.id}`.execute(
    trx,
  );
  await recordAudit(
    uow,
    context,
    {
      action: raise ? "voucher_quota.raised" : "voucher_quota.lowered",
      targetType: "voucher_quota",
      targetId: quota.id,
      summary: { reseller_id: reseller.id, asset: input.asset, delta: input.delta, reason: input.reason },
    },
    now,
  );
  return { quota: { ...quota, updated_at: now }, changeId };
}
