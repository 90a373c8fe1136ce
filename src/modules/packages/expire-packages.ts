import { sql } from "kysely";
import type { AppDeps } from "../../app-types.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { type RequestContext, systemActor } from "../../platform/auth/actor.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import { lockUsableMember } from "../members/index.js";
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
  // Deferred gifts before ends: a renewed period that has already run its course (the job
  // was down, or a test clock jumped past it) still gets the gift it was paid with.
  const gifted = await giveDeferredGifts(uow, context, now);
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
      .set({ state: "expired", ended_at: now })
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
  return ended.length + gifted + cancelled.length;
}

/**
 * Gives the deferred early-renewal gifts of periods that have started; returns how many
 * periods it settled. Locks in the order a refund and a late payment take them (the order,
 * then its period, then the member), and skips an order someone else holds: a refund racing
 * the gift either finds it given (and takes it back) or finds nothing to give, never a
 * deadlock. The order was paid before the gift fell due, so a frozen member still gets it; a
 * closed account holds nothing, so a closed member's gift is withheld and audited
 * (`package.deferred_gift_withheld`), and the period is settled either way.
 */
async function giveDeferredGifts(uow: UnitOfWork, context: RequestContext, now: Date): Promise<number> {
  const tenantId = uow.tenantId;
  const due = await uow.trx
    .selectFrom("package_periods")
    .select(["id", "order_id"])
    .where("tenant_id", "=", tenantId)
    .where("deferred_gift_due", "=", true)
    .where("starts_at", "<=", now)
    .orderBy("starts_at")
    .limit(EXPIRY_BATCH)
    .execute();
  if (due.length === 0) return 0;
  const orders = await uow.trx
    .selectFrom("package_orders")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where(
      "id",
      "in",
      due.map((d) => d.order_id),
    )
    .orderBy("id")
    .forUpdate()
    .skipLocked()
    .execute();
  const byId = new Map(orders.map((o) => [o.id, o]));
  const timezone = await tenantZone(uow.trx, tenantId);
  let settled = 0;
  for (const d of due) {
    const order = byId.get(d.order_id);
    if (!order) continue;
    const period = await uow.trx
      .selectFrom("package_periods")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "=", d.id)
      .where("deferred_gift_due", "=", true)
      .where("starts_at", "<=", now)
      .forUpdate()
      .executeTakeFirst();
    if (!period) continue;
    const perks = giftPerksFor(period.snapshot, order.situation).filter(
      (perk) => perk.type === "early_renewal_gift" && perk.distribution === "on_effect",
    );
    const member = await lockUsableMember(uow.trx, context.actor, order.member_id, {
      allowFrozen: true,
      allowClosed: true,
    });
    let points = 0;
    if (member.status === "closed") {
      await recordAudit(
        uow,
        context,
        {
          action: "package.deferred_gift_withheld",
          targetType: "package_order",
          targetId: order.id,
          summary: {
            reason: "member_closed",
            member_id: order.member_id,
            period_id: period.id,
            perks: perks.map((p) => p.key),
            points: perks.reduce((sum, p) => sum + (p.bonus_points ?? 0), 0),
          },
        },
        now,
      );
    } else {
      for (const perk of perks) points += await giveGiftPerk(uow, context, order, perk, timezone, now);
      if (points > 0) {
        await orderPoints(
          uow,
          context,
          { memberId: order.member_id, points, orderId: order.id, allowFrozen: true },
          now,
        );
      }
    }
    await uow.trx
      .updateTable("package_periods")
      .set({ deferred_gift_due: false })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", period.id)
      .execute();
    if (points > 0) {
      await uow.trx
        .updateTable("package_orders")
        .set({ points_awarded: order.points_awarded + points, updated_at: now })
        .where("tenant_id", "=", tenantId)
        .where("id", "=", order.id)
        .execute();
    }
    settled++;
  }
  return settled;
}

/** Runs the package work due at the clock's now in every tenant (or one); tests call it after moving the clock. */
export async function runPackageExpiry(
  deps: Pick<AppDeps, "db" | "clock" | "ledger">,
  tenantId?: string,
  now = deps.clock.now(),
): Promise<number> {
  const tenant = async (id: string) => {
    let total = 0;
    for (;;) {
      const settled = await deps.ledger.run(id, (uow) => settleDuePackages(uow, now));
      total += settled;
      if (settled === 0) return total;
    }
  };
  if (tenantId) return tenant(tenantId);
  const done = await forEachTenant(PACKAGE_EXPIRY_JOB, await tenantsWithDuePackageWork(deps, now), tenant);
  return done.reduce((sum, n) => sum + n, 0);
}
