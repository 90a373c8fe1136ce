import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { VouchersError } from "./vouchers.errors.js";
import { openAccount, postedBalance, type UnitOfWork } from "./vouchers.ledger.js";
import type { QuotaRow } from "./vouchers.repository.js";

/**
 * A reseller's quota is value its distributor funded: lowering it, and whatever its vouchers
 * give back, returns to that distributor. A move that gives the reseller another distributor
 * while the quota still holds value (unissued, or in vouchers that are still live and would
 * return their rest to it) is refused, so the new distributor never lowers and collects what
 * the old one funded. Checked on the moved subtree as it now lies (an org unit move guard).
 */
export async function assertQuotasKeepTheirDistributor(
  trx: Tx,
  tenantId: string,
  movedPath: string,
): Promise<void> {
  const held = await sql<{ id: string; reseller_id: string; distributor_id: string }>`
    select q.id, q.reseller_id, q.distributor_id
    from voucher_quotas q
    join org_units r on r.tenant_id = q.tenant_id and r.id = q.reseller_id
    where q.tenant_id = ${tenantId}
      and starts_with(r.path, ${movedPath})
      and q.distributor_id is distinct from (
        select d.id from org_units d
        where d.tenant_id = r.tenant_id and d.kind = 'distributor' and starts_with(r.path, d.path)
        order by length(d.path) desc
        limit 1)
      and (
        exists (
          select 1 from ledger_accounts a
          where a.tenant_id = q.tenant_id and a.id = q.account_id
            and (a.credits_posted - a.debits_posted > 0 or a.debits_pending > 0))
        or exists (
          select 1 from vouchers v
          join ledger_accounts a on a.tenant_id = v.tenant_id and a.id = v.account_id
          where v.tenant_id = q.tenant_id and v.source_account_id = q.account_id and v.state = 'active'
            and (a.credits_posted - a.debits_posted > 0 or a.debits_pending > 0)))
    order by q.id
    limit 1`.execute(trx);
  const quota = held.rows[0];
  if (quota) {
    throw new VouchersError(
      "org_unit_in_use",
      `Reseller ${quota.reseller_id} holds voucher quota ${quota.id}, funded by distributor ${quota.distributor_id}, which it would leave: lower the quota to zero, and let its live vouchers be used, expire or be withdrawn first`,
    );
  }
}

/**
 * The first change of a quota by a distributor other than the one that funded it (the
 * reseller moved once the quota held nothing): whatever has come back to the quota since
 * (a refund of a bill its vouchers paid, once they expired or were withdrawn) is the old
 * distributor's and goes back to it, recorded as a lowering; the quota then belongs to the
 * new distributor. Runs with the quota row locked.
 */
export async function handOverQuota(
  uow: UnitOfWork,
  context: RequestContext,
  quota: QuotaRow,
  distributorId: string,
  now: Date,
): Promise<QuotaRow> {
  const { actor } = context;
  const trx = uow.trx;
  const quotaAccount = await openAccount.quota(uow, quota.reseller_id, quota.asset);
  const returned = await postedBalance(uow, quotaAccount);
  if (returned > 0) {
    const oldFunding = await openAccount.funding(uow, quota.distributor_id, quota.asset);
    const changeId = newId("vqc");
    expectTransfer(
      await uow.transfer({
        id: `tr_${changeId}`,
        debit_account_id: quotaAccount,
        credit_account_id: oldFunding,
        amount: returned,
        code: "voucher_quota_lower",
        reference_module: "vouchers",
        reference_id: quota.id,
        memo: "returned to the distributor that funded it",
      }),
    );
    await trx
      .insertInto("voucher_quota_changes")
      .values({
        tenant_id: actor.tenantId,
        id: changeId,
        quota_id: quota.id,
        delta: -returned,
        reason: `returned to distributor ${quota.distributor_id}, which funded it`,
        actor_type: actor.type,
        actor_id: actor.id,
        transfer_id: `tr_${changeId}`,
        created_at: now,
      })
      .execute();
  }
  await trx
    .updateTable("voucher_quotas")
    .set({ distributor_id: distributorId, updated_at: now })
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", quota.id)
    .execute();
  await recordAudit(
    uow,
    context,
    {
      action: "voucher_quota.distributor_changed",
      targetType: "voucher_quota",
      targetId: quota.id,
      summary: {
        before: { distributor_id: quota.distributor_id },
        after: { distributor_id: distributorId },
        returned_to_previous: returned,
      },
    },
    now,
  );
  return { ...quota, distributor_id: distributorId, updated_at: now };
}
