import type { AppDeps } from "./app-types.js";
import { defineDepositJobs } from "./modules/deposits/index.js";
import { defineWalletJobs } from "./modules/wallets/index.js";
import type { JobRunner } from "./platform/jobs/job-runner.js";

/**
 * Every module's background jobs, defined on the job runner before it starts (the way
 * routes.ts lists route modules). Schedules that enqueue them live in `job_schedules`.
 */
export function defineModuleJobs(jobs: JobRunner, deps: AppDeps): void {
  defineDepositJobs(jobs, deps);
  defineWalletJobs(jobs, deps);
}
