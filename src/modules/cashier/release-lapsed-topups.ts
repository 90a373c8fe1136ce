import { sql } from "kysely";
import type { AppDeps } from "../../app-types.js";
import type { Database } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import type { JobDefinition } from "../../platform/jobs/job-runner.js";
import type { TenantTimer } from "../../platform/sandbox/timers.js";
import { findOrder, findPayment } from "./cashier.repository.js";
import { releaseLapsed } from "./settle-attempt.js";

export const CASHIER_LAPSE_JOB = "cashier.release_lapsed_topups";
/** Attempts released per unit of work. */
const LAPSE_BATCH = 100;

/**
 * Smart top-ups whose provider never answered before their deadline: each is closed
 * uncredited and its order is open again (until the order's own expiry), without waiting for
 * the member's next try. A partial payment's lapse needs no job here: the wallets' hold expiry
 * releases its balance and the hold listener reopens the order. Locks the order before the
 * attempt, as a payment and a provider notification do, and skips an attempt settled meanwhile.
 */
export async function releaseLapsedTopups(uow: UnitOfWork, now: Date): Promise<string[]> {
  const ctx = { actor: systemActor(uow.tenantId, CASHIER_LAPSE_JOB), requestId: null };
  const due = await uow.trx
    .selectFrom("cashier_payments")
    .select(["id", "order_id"])
    .where("tenant_id", "=", uow.tenantId)
    .where("status", "=", "pending")
    .where("kind", "=", "smart_topup")
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .orderBy("id")
    .limit(LAPSE_BATCH)
    .execute();
  const released: string[] = [];
  for (const { id, order_id } of due) {
    const order = await findOrder(uow.trx, uow.tenantId, order_id, { lock: true });
    const payment = await findPayment(uow.trx, uow.tenantId, id);
    if (!order || payment?.status !== "pending") continue;
    await releaseLapsed(uow, ctx, order, payment, now);
    released.push(id);
  }
  return released;
}

/** One tenant's lapsed smart top-ups at `now`, in batches until none is left. */
export async function releaseTenantLapsedTopups(
  deps: Pick<AppDeps, "ledger">,
  tenantId: string,
  now: Date,
): Promise<number> {
  let total = 0;
  for (;;) {
    const released = await deps.ledger.run(tenantId, (uow) => releaseLapsedTopups(uow, now));
    total += released.length;
    if (released.length < LAPSE_BATCH) return total;
  }
}

async function tenantsWithLapsedTopups(db: Database, now: Date): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string }>`
      select distinct tenant_id from cashier_payments p
      where status = 'pending' and kind = 'smart_topup' and expires_at <= ${now}
        and ${liveTenantOnly("p.tenant_id")} limit 1000`.execute(trx);
    return result.rows.map((r) => r.tenant_id);
  });
}

type Deps = Pick<AppDeps, "db" | "clock" | "ledger">;

/** Every live tenant's lapsed smart top-ups at the real clock; sandboxes follow their own clock. */
export async function runLapsedTopupRelease(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const done = await forEachTenant(
    CASHIER_LAPSE_JOB,
    await tenantsWithLapsedTopups(deps.db, now),
    (tenantId) => releaseTenantLapsedTopups(deps, tenantId, now),
  );
  return done.reduce((sum, n) => sum + n, 0);
}

export const cashierJobs = (deps: Deps): JobDefinition[] => [
  {
    name: CASHIER_LAPSE_JOB,
    policy: "singleton",
    handler: async () => ({ released: await runLapsedTopupRelease(deps) }),
  },
];

export const CASHIER_CRONS = [{ name: CASHIER_LAPSE_JOB, cron: "* * * * *" }] as const;

/** Advancing a sandbox's clock releases each smart top-up at its deadline. */
export const CASHIER_TIMERS: readonly TenantTimer[] = [
  {
    job: CASHIER_LAPSE_JOB,
    due: [
      { table: "cashier_payments", at: "expires_at", where: "status = 'pending' and kind = 'smart_topup'" },
    ],
    run: releaseTenantLapsedTopups,
  },
];
