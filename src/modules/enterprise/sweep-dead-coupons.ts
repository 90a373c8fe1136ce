import { sql } from "kysely";
import type { Database } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { expectTransfer, type UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { postedBalance } from "../vouchers/index.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";

export const COUPON_SWEEP_JOB = "enterprise.sweep_dead_coupons";
/** Coupons swept per unit of work; the job takes the next batch in a new unit. */
export const SWEEP_BATCH = 200;

/** Coupons no longer usable: their voucher expired or was withdrawn. */
const DEAD_STATES = ["expired", "withdrawn"] as const;

/**
 * Moves what sits in dead master coupons (expired or withdrawn) on to each coupon's own
 * source, the enterprise's funding account — where the coupon's remainder went when it
 * expired. Value reaches a dead coupon after its end: a member's allocated coupon that
 * expires after it (same end time, later in the expiry run) or a bill refund whose coupon
 * has expired returns to the master coupon, the allocation's source. Each coupon row is
 * locked (SKIP LOCKED: overlapping runs split the work) and its balance read in this unit's
 * ledger view, so a second run finds nothing to move. Returns what moved, per coupon.
 */
export async function sweepCoupons(uow: UnitOfWork, couponIds: readonly string[], now: Date) {
  if (couponIds.length === 0) return [];
  const coupons = await uow.trx
    .selectFrom("enterprise_coupons as c")
    .innerJoin("vouchers as v", (j) => j.onRef("v.tenant_id", "=", "c.tenant_id").onRef("v.id", "=", "c.id"))
    .select(["c.id", "c.enterprise_id", "v.account_id", "v.source_account_id", "v.asset"])
    .where("c.tenant_id", "=", uow.tenantId)
    .where("c.id", "in", couponIds)
    .where("v.state", "in", DEAD_STATES)
    .orderBy("c.id")
    .forUpdate("c")
    .skipLocked()
    .execute();
  const actor = systemActor(uow.tenantId, COUPON_SWEEP_JOB);
  const swept: { couponId: string; amount: number }[] = [];
  for (const coupon of coupons) {
    const amount = await postedBalance(uow, coupon.account_id!);
    if (amount === 0) continue;
    expectTransfer(
      await uow.transfer({
        id: `tr_${newId("swp")}`,
        debit_account_id: coupon.account_id!,
        credit_account_id: coupon.source_account_id!,
        amount,
        code: "enterprise_coupon_sweep",
        reference_module: "enterprise",
        reference_id: coupon.id,
      }),
    );
    await recordAudit(
      uow,
      actor,
      {
        action: "enterprise_coupon.swept",
        targetType: "enterprise_coupon",
        targetId: coupon.id,
        summary: {
          enterprise_id: coupon.enterprise_id,
          amount,
          asset: coupon.asset,
          to: coupon.source_account_id,
        },
      },
      now,
    );
    await emitEnterpriseEvent(
      uow,
      uow.tenantId,
      "enterprise.coupon_swept",
      { enterprise_id: coupon.enterprise_id, coupon_id: coupon.id, asset: coupon.asset, amount },
      now,
    );
    swept.push({ couponId: coupon.id, amount });
  }
  return swept;
}

/**
 * One batch of a tenant's dead coupons that hold value as committed (the job's form); the
 * lock in `sweepCoupons` settles races. An empty answer: nothing (more) to sweep.
 */
export async function sweepDeadCoupons(uow: UnitOfWork, now: Date, limit = SWEEP_BATCH) {
  const rows = await deadCouponsWithValue(uow.trx, uow.tenantId).limit(limit).execute();
  return sweepCoupons(
    uow,
    rows.map((r) => r.id),
    now,
  );
}

function deadCouponsWithValue(trx: UnitOfWork["trx"], tenantId: string) {
  return trx
    .selectFrom("enterprise_coupons as c")
    .innerJoin("vouchers as v", (j) => j.onRef("v.tenant_id", "=", "c.tenant_id").onRef("v.id", "=", "c.id"))
    .innerJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "v.tenant_id").onRef("a.id", "=", "v.account_id"),
    )
    .select("c.id")
    .where("c.tenant_id", "=", tenantId)
    .where("v.state", "in", DEAD_STATES)
    .where(sql<boolean>`a.credits_posted > a.debits_posted`)
    .orderBy("c.id");
}

/** Live tenants with a dead coupon holding value (the job's fan-out; reads ids only). */
export async function tenantsWithDeadCoupons(db: Database): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string }>`
      select distinct c.tenant_id from enterprise_coupons c
        join vouchers v on v.tenant_id = c.tenant_id and v.id = c.id
        join ledger_accounts a on a.tenant_id = v.tenant_id and a.id = v.account_id
      where v.state in ('expired', 'withdrawn') and a.credits_posted > a.debits_posted
        and ${liveTenantOnly("c.tenant_id")} limit 1000`.execute(trx);
    return result.rows.map((r) => r.tenant_id);
  });
}

/** The master coupons that allocated the given member vouchers (their source accounts). */
export async function couponsBehind(uow: UnitOfWork, voucherIds: readonly string[]): Promise<string[]> {
  if (voucherIds.length === 0) return [];
  const rows = await uow.trx
    .selectFrom("vouchers")
    .select("source_account_id")
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "in", voucherIds)
    .execute();
  return [
    ...new Set(
      rows.flatMap((r) => (r.source_account_id?.startsWith("vacct_") ? [r.source_account_id.slice(6)] : [])),
    ),
  ];
}

/**
 * A bill refund gave value back to the sources of these vouchers (they ended since the
 * bill): those that are members' allocated coupons returned it to their master coupon, which
 * passes it on at once if it has ended too. Installed as the manifest's
 * `onVoucherSourcesCredited`, so every route that refunds a bill ends the same way.
 */
export async function sweepCouponsBehind(uow: UnitOfWork, voucherIds: readonly string[], now: Date) {
  await sweepCoupons(uow, await couponsBehind(uow, voucherIds), now);
}
