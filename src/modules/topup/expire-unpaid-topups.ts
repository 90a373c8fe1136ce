import { sql } from "kysely";
import type { AppDeps } from "../../app-types.js";
import type { Database, Tx } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import type { JobDefinition } from "../../platform/jobs/job-runner.js";
import type { TenantTimer } from "../../platform/sandbox/timers.js";
import { returnGiftStock } from "../catalog/index.js";
import { emitTopupEvent } from "./topup.events.js";

export const TOPUP_EXPIRY_JOB = "topup.expire_unpaid";
/** Top-ups expired per unit of work; the job loops until none is due. */
export const TOPUP_EXPIRY_BATCH = 100;

/**
 * Online plan top-ups not paid within their window (`payment_expires_at`): each becomes
 * `expired`, its unit of the plan's gift stock goes back, and it is audited
 * (`topup.payment_expired`, by this job) and announced (`topup.payment_failed`, result
 * `expired`), as when the provider says the payment lapsed. Rows are locked with SKIP LOCKED:
 * one whose provider notification is being applied is left to it. A success arriving later
 * still credits it if it can (confirm-topup-payment.ts). `planId` narrows the sweep to one plan,
 * as a new online top-up of that plan frees its stock first. Returns how many it expired.
 */
export async function expireUnpaidTopups(
  trx: Tx,
  tenantId: string,
  now: Date,
  planId?: string,
): Promise<number> {
  let due = trx
    .selectFrom("topups")
    .select(["id", "plan_id", "member_id", "stock_key", "payment_expires_at", "provider"])
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "pending_payment")
    .where("payment_expires_at", "<=", now);
  if (planId) due = due.where("plan_id", "=", planId);
  const rows = await due
    .orderBy("payment_expires_at")
    .orderBy("id")
    .limit(TOPUP_EXPIRY_BATCH)
    .forUpdate()
    .skipLocked()
    .execute();
  if (rows.length === 0) return 0;
  await trx
    .updateTable("topups")
    .set({ status: "expired", updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  const ctx = { actor: systemActor(tenantId, TOPUP_EXPIRY_JOB), requestId: null };
  for (const r of rows) {
    if (r.stock_key) await returnGiftStock(trx, tenantId, r.stock_key, now);
    await recordAudit(
      trx,
      ctx,
      {
        action: "topup.payment_expired",
        targetType: "topup",
        targetId: r.id,
        summary: {
          reason: "not_paid_in_time",
          payment_expires_at: r.payment_expires_at?.toISOString() ?? null,
          provider: r.provider,
        },
      },
      now,
    );
    await emitTopupEvent(
      trx,
      tenantId,
      "topup.payment_failed",
      { topup_id: r.id, plan_id: r.plan_id, member_id: r.member_id, result: "expired" },
      now,
    );
  }
  return rows.length;
}

/** One tenant's unpaid online top-ups past their window at `now`, in batches until none is left. */
export async function expireTenantUnpaidTopups(
  deps: Pick<AppDeps, "db">,
  tenantId: string,
  now: Date,
): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await deps.db.tenantTx(tenantId, (trx) => expireUnpaidTopups(trx, tenantId, now));
    total += expired;
    if (expired < TOPUP_EXPIRY_BATCH) return total;
  }
}

async function tenantsWithUnpaidTopups(db: Database, now: Date): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string }>`
      select distinct tenant_id from topups t
      where status = 'pending_payment' and payment_expires_at <= ${now}
        and ${liveTenantOnly("t.tenant_id")} limit 1000`.execute(trx);
    return result.rows.map((r) => r.tenant_id);
  });
}

type Deps = Pick<AppDeps, "db" | "clock">;

/** Every live tenant's unpaid online top-ups at the real clock; sandboxes follow their own clock. */
export async function runUnpaidTopupExpiry(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const done = await forEachTenant(
    TOPUP_EXPIRY_JOB,
    await tenantsWithUnpaidTopups(deps.db, now),
    (tenantId) => expireTenantUnpaidTopups(deps, tenantId, now),
  );
  return done.reduce((sum, n) => sum + n, 0);
}

export const topupJobs = (deps: Deps): JobDefinition[] => [
  {
    name: TOPUP_EXPIRY_JOB,
    policy: "singleton",
    handler: async () => ({ expired: await runUnpaidTopupExpiry(deps) }),
  },
];

export const TOPUP_CRONS = [{ name: TOPUP_EXPIRY_JOB, cron: "* * * * *" }] as const;

/** Advancing a sandbox's clock expires each unpaid online top-up at the end of its window. */
export const TOPUP_TIMERS: readonly TenantTimer[] = [
  {
    job: TOPUP_EXPIRY_JOB,
    due: [{ table: "topups", at: "payment_expires_at", where: "status = 'pending_payment'" }],
    run: expireTenantUnpaidTopups,
  },
];
