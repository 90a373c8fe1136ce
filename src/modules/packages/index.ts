/**
 * The packages module's public surface: paid benefit packages (seed 001 §2.2). Other modules
 * import only this file. Rules: README.md.
 */
import type { AppDeps } from "../../app-types.js";
import type { JobRunner } from "../../platform/jobs/job-runner.js";
import { PACKAGE_EXPIRY_JOB, runPackageExpiry } from "./expire-packages.js";
import "./packages.errors.js";
import "./packages.files.js";

export { PACKAGE_EXPIRY_JOB, runPackageExpiry } from "./expire-packages.js";
export { packagesRoutes } from "./packages.routes.js";
export { type PriceKind, priceFor, type Situation } from "./pricing.js";
export { periodWindow, type ValidityMode } from "./validity.js";

/**
 * Defines the packages' clock-driven job (expiry, deferred renewal gifts, unpaid online
 * orders) and returns its cron: every minute, across tenants, at the clock's now.
 */
export function definePackageJobs(jobs: JobRunner, deps: AppDeps): { name: string; cron: string }[] {
  jobs.define({
    name: PACKAGE_EXPIRY_JOB,
    policy: "stately",
    handler: async () => ({ settled: await runPackageExpiry(deps) }),
  });
  return [{ name: PACKAGE_EXPIRY_JOB, cron: "* * * * *" }];
}
