import type { AppDeps } from "./app-types.js";
import { voidExpiredHolds } from "./ledger/index.js";
import { defineDepositJobs } from "./modules/deposits/index.js";
import { defineGiftCardJobs } from "./modules/giftcards/index.js";
import { defineWalletJobs } from "./modules/wallets/index.js";
import type { JobRunner } from "./platform/jobs/job-runner.js";

export const LEDGER_HOLD_EXPIRY_JOB = "ledger.void_expired_holds";

/**
 * Every module's background jobs, defined on the job runner before it starts (the way
 * routes.ts lists route modules). Business schedules that enqueue them live in
 * `job_schedules`; housekeeping crons are returned here.
 */
export function defineModuleJobs(jobs: JobRunner, deps: AppDeps): { name: string; cron: string }[] {
  defineDepositJobs(jobs, deps);
  defineWalletJobs(jobs, deps);
  const giftCardExpiry = defineGiftCardJobs(jobs, deps);
  // Holds with a timeout void themselves: every minute, across tenants, at the clock's now.
  jobs.define({
    name: LEDGER_HOLD_EXPIRY_JOB,
    policy: "stately",
    handler: async () => ({ voided: await voidExpiredHolds(deps.ledger, "all", deps.clock.now()) }),
  });
  return [{ name: LEDGER_HOLD_EXPIRY_JOB, cron: "* * * * *" }, giftCardExpiry];
}
