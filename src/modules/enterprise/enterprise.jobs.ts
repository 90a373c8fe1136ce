import type { AppDeps } from "../../app-types.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import type { JobDefinition } from "../../platform/jobs/job-runner.js";
import type { TenantTimer } from "../../platform/sandbox/timers.js";
import { expirePackages, PACKAGE_EXPIRY_JOB, tenantsWithDuePackages } from "./expire-packages.js";
import { COUPON_SWEEP_JOB, sweepDeadCoupons, tenantsWithDeadCoupons } from "./sweep-dead-coupons.js";

type Deps = Pick<AppDeps, "db" | "clock" | "ledger">;

/** Runs a batch operation in units of work until a unit finds nothing more to do. */
async function untilDone(
  deps: Pick<AppDeps, "ledger">,
  tenantId: string,
  batch: (uow: UnitOfWork) => Promise<unknown[]>,
) {
  let total = 0;
  for (;;) {
    const done = await deps.ledger.run(tenantId, batch);
    total += done.length;
    if (done.length === 0) return total;
  }
}

/** One tenant's dead coupons holding value at `now` (the timer's form). */
export const sweepTenantCoupons = (deps: Pick<AppDeps, "ledger">, tenantId: string, now: Date) =>
  untilDone(deps, tenantId, (uow) => sweepDeadCoupons(uow, now));

/** One tenant's packages due to expire at `now` (the timer's form). */
export const expireTenantPackages = (deps: Pick<AppDeps, "ledger">, tenantId: string, now: Date) =>
  untilDone(deps, tenantId, (uow) => expirePackages(uow, now));

/** Every live tenant's dead coupons, at the real clock; sandboxes run on their own clock's advance. */
export async function runCouponSweep(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const done = await forEachTenant(COUPON_SWEEP_JOB, await tenantsWithDeadCoupons(deps.db), (tenantId) =>
    sweepTenantCoupons(deps, tenantId, now),
  );
  return done.reduce((sum, n) => sum + n, 0);
}

/** Every live tenant's packages due to expire, at the real clock. */
export async function runPackageExpiry(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const done = await forEachTenant(
    PACKAGE_EXPIRY_JOB,
    await tenantsWithDuePackages(deps.db, now),
    (tenantId) => expireTenantPackages(deps, tenantId, now),
  );
  return done.reduce((sum, n) => sum + n, 0);
}

export const enterpriseJobs = (deps: Deps): JobDefinition[] => [
  {
    name: COUPON_SWEEP_JOB,
    policy: "singleton",
    handler: async () => ({ swept: await runCouponSweep(deps) }),
  },
  {
    name: PACKAGE_EXPIRY_JOB,
    policy: "singleton",
    handler: async () => ({ expired: await runPackageExpiry(deps) }),
  },
];

export const ENTERPRISE_CRONS = [
  { name: COUPON_SWEEP_JOB, cron: "*/5 * * * *" },
  { name: PACKAGE_EXPIRY_JOB, cron: "*/5 * * * *" },
] as const;

/**
 * Advancing a sandbox's clock: the coupon sweep runs at each cash coupon's end (after the
 * vouchers module's expiry at the same instant, which is what fills a dead master coupon:
 * the vouchers manifest is installed first); the package expiry at each package's end.
 */
export const ENTERPRISE_TIMERS: readonly TenantTimer[] = [
  {
    job: COUPON_SWEEP_JOB,
    due: [{ table: "vouchers", at: "expires_at", where: "purpose = 'cash_coupon'" }],
    run: sweepTenantCoupons,
  },
  {
    job: PACKAGE_EXPIRY_JOB,
    due: [{ table: "resource_packages", at: "expires_at", where: "expired_at is null" }],
    run: expireTenantPackages,
  },
];
