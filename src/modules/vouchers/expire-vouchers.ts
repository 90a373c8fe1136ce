import { sql } from "kysely";
import type { Database } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { emitVoucherEvent, holderRef } from "./vouchers.events.js";
import { returnRemainingToSource, type UnitOfWork } from "./vouchers.ledger.js";

/** One run expires at most this many vouchers per tenant; the next run takes the rest. */
export const EXPIRY_BATCH = 200;

/**
 * Expires a tenant's vouchers whose end time (computed in the tenant's time zone when
 * issued) has passed: the remaining balance returns to the voucher's source account (the
 * reseller's quota, or the distributor's funding for product_trial) and the voucher is
 * `expired`. Rows are skipped if another run holds them, so runs may overlap.
 */
export async function expireVouchers(uow: UnitOfWork, now: Date, limit = EXPIRY_BATCH) {
  const actor = systemActor(uow.tenantId, "vouchers.expire");
  const due = await uow.trx
    .selectFrom("vouchers")
    .select([
      "id",
      "account_id",
      "source_account_id",
      "issuer_id",
      "funded_by",
      "asset",
      "customer_id",
      "member_id",
    ])
    .where("tenant_id", "=", uow.tenantId)
    .where("state", "=", "active")
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .orderBy("id")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  const expired: { voucherId: string; returned: number }[] = [];
  for (const voucher of due) {
    const balance = await returnRemainingToSource(uow, voucher, "expire");
    await uow.trx
      .updateTable("vouchers")
      .set({ state: "expired", expired_at: now })
      .where("tenant_id", "=", uow.tenantId)
      .where("id", "=", voucher.id)
      .execute();
    await recordAudit(
      uow,
      actor,
      {
        action: "voucher.expired",
        targetType: "voucher",
        targetId: voucher.id,
        summary: { returned_amount: balance, asset: voucher.asset },
      },
      now,
    );
    await emitVoucherEvent(
      uow,
      uow.tenantId,
      "voucher.expired",
      {
        voucher_id: voucher.id,
        ...holderRef(voucher),
        asset: voucher.asset,
        returned_amount: balance,
      },
      now,
    );
    expired.push({ voucherId: voucher.id, returned: balance });
  }
  return expired;
}

/** Tenants with vouchers due to expire (the scheduler's fan-out; crosses tenants, reads ids only). */
export async function tenantsWithDueVouchers(db: Database, now: Date): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string }>`
      select distinct tenant_id from vouchers v where state = 'active' and expires_at <= ${now}
        and ${liveTenantOnly("v.tenant_id")} limit 1000`.execute(trx);
    return result.rows.map((r) => r.tenant_id);
  });
}
