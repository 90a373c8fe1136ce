import { sql } from "kysely";
import type { AppDeps } from "../../app-types.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { orderPoints } from "../wallets/index.js";
import { giftPerksFor, giveGiftPerk } from "./activate-order.js";
import { emitPackageEvent } from "./packages.events.js";
import { tenantZone } from "./prepare-sale.js";

/** At most this many periods (or orders) one unit of work settles; the job loops until none is due. */
export const EXPIRY_BATCH = 200;
export const PACKAGE_EXPIRY_JOB = "packages.expire";

/** Tenants with periods past their end, deferred gifts due, or online payments past their time. */
export async function tenantsWithDuePackageWork(deps: Pick<AppDeps, "db">, now: Date): Promise<string[]> {
  const rows = await deps.db.systemTx((trx) =>
    sql<{ tenant_id: string }>`
      select * from (
        select tenant_id from package_periods where state = 'current' and ends_at <= ${now}
        union
        select tenant_id from package_periods where deferred_gift_due and starts_at <= ${now}
        union
        select tenant_id from package_orders where status = 'pending_payment' and payment_expires_at <= ${now}
      ) due where ${liveTenantOnly("due.tenant_id")}
      limit 10000`.execute(trx),
  );
  return rows.rows.map((r) => r.tenant_id);
}

/**
 * One batch of a tenant's clock-driven package work, in one unit of work: periods whose end
 * has come are marked expired (`package.expired`); renewed periods that have taken effect get
 * their deferred early-renewal gifts (once per order and perk); online orders not paid in time
 * are cancelled, each audited (`package.payment_expired`) as the job's. Rows are locked with SKIP LOCKED, so two runners split the work. Returns how
 * many rows it settled (0: nothing left).
 */
export async function settleDuePackages(uow: UnitOfWork, now: Date): Promise<number> {
  const tenantId = uow.tenantId;
  const context = { actor: systemActor(tenantId, PACKAGE_EXPIRY_JOB), requestId: null };
  const ended = await uow.trx
    .selectFrom("package_periods")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("state", "=", "current")
    .where("ends_at", "<=", now)
    .orderBy("ends_at")
    .limit(EXPIRY_BATCH)
    .forUpdate()
    .skipLocked()
    .execute();
  for (const p of ended) {
    await uow.trx
      .updateTable("package_periods")
      .set({ state: "expired", ended_at: now, deferred_gift_due: false })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", p.id)
      .execute();
    await emitPackageEvent(
      uow,
      tenantId,
      "package.expired",
      {
        order_id: p.order_id,
        period_id: p.id,
        package_id: p.package_id,
        member_id: p.member_id,
        starts_at: p.starts_at.toISOString(),
        ends_at: p.ends_at.toISOString(),
      },
      now,
    );
  }
  const started = await uow.trx
    .selectFrom("package_periods")
    .innerJoin("package_orders", (j) =>
      j
        .onRef("package_orders.tenant_id", "=", "package_periods.tenant_id")
        .onRef("package_orders.id", "=", "package_periods.order_id"),
    )
    .select([
      "package_periods.id as period_id",
      "package_periods.snapshot",
      "package_orders.id",
      "package_orders.member_id",
      "package_orders.package_id",
      "package_orders.situation",
      "package_orders.points_awarded",
    ])
    .where("package_periods.tenant_id", "=", tenantId)
    .where("package_periods.deferred_gift_due", "=", true)
    .where("package_periods.starts_at", "<=", now)
    .limit(EXPIRY_BATCH)
    .forUpdate("package_periods")
    .skipLocked()
    .execute();
  const timezone = started.length > 0 ? await tenantZone(uow.trx, tenantId) : "UTC";
  for (const row of started) {
    let points = 0;
    for (const perk of giftPerksFor(row.snapshot, row.situation)) {
      if (perk.type !== "early_renewal_gift" || perk.distribution !== "on_effect") continue;
      points += await giveGiftPerk(uow, context, row, perk, timezone, now);
    }
    if (points > 0)
      await orderPoints(uow, context, { memberId: row.member_id, points, orderId: row.id }, now);
    await uow.trx
      .updateTable("package_periods")
      .set({ deferred_gift_due: false })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", row.period_id)
      .execute();
    await uow.trx
      .updateTable("package_orders")
      .set({ points_awarded: row.points_awarded + points, updated_at: now })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", row.id)
      .execute();
  }
  const cancelled = await uow.trx
    .updateTable("package_orders")
    .set({ status: "cancelled", updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "in", (eb) =>
      eb
        .selectFrom("package_orders")
        .select("id")
        .where("tenant_id", "=", tenantId)
        .where("status", "=", "pending_payment")
        .where("payment_expires_at", "<=", now)
        .limit(EXPIRY_BATCH),
    )
    .where("status", "=", "pending_payment")
    .returning("id")
    .execute();
  // As a failed or expired payment's cancellation is (confirmPackagePayment): the order changed, so it is audited.
  for (const o of cancelled) {
    await recordAudit(
      uow,
      context,
      {
        action: "package.payment_expired",
        targetType: "package_order",
        targetId: o.id,
        summary: { outcome: "expired" },
      },
      now,
    );
  }
  return ended.length + started.length + cancelled.length;
}

/** Runs the package work due at the clock's now in every tenant (or one); tests call it after moving the clock. */
export async function runPackageExpiry(
  deps: Pick<AppDeps, "db" | "clock" | "ledger">,
  tenantId?: string,
  now = deps.clock.now(),
): Promise<number> {
  let total = 0;
  for (const id of tenantId ? [tenantId] : await tenantsWithDuePackageWork(deps, now)) {
    for (;;) {
      const settled = await deps.ledger.run(id, (uow) => settleDuePackages(uow, now));
      total += settled;
      if (settled === 0) break;
    }
  }
  return total;
}
