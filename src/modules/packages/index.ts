/**
 * The packages module's public surface: paid benefit packages (seed 001 §2.2). Other modules
 * import only this file. Rules: README.md.
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, FINANCE, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { PACKAGE_EXPIRY_JOB, runPackageExpiry } from "./expire-packages.js";
import { PACKAGES_ERRORS } from "./packages.errors.js";
import { PACKAGES_EVENTS } from "./packages.events.js";
import { PACKAGE_BUYERS_EXPORT } from "./packages.files.js";
import { packageCoverShown, packageNamingScope, packagePaymentOwner } from "./packages.repository.js";
import { packagesRoutes } from "./packages.routes.js";

export { PACKAGE_EXPIRY_JOB, runPackageExpiry } from "./expire-packages.js";
export { packageSummaries } from "./package-views.js";
export { type PriceKind, priceFor, type Situation } from "./pricing.js";
export { periodWindow, type ValidityMode } from "./validity.js";
export { packagesRoutes };

/** Everything the packages module adds to the app. */
export const packagesManifest: ModuleManifest = {
  name: "packages",
  storeScopeReferences: packageNamingScope,
  routes: packagesRoutes,
  permissions: {
    "packages.read": ALL_STAFF,
    "packages.manage": OPERATORS,
    "packages.settings": MANAGERS,
    "packages.sell": OPERATORS,
    "packages.refund": OPERATORS,
    "packages.finance": FINANCE,
  },
  errors: PACKAGES_ERRORS,
  events: PACKAGES_EVENTS.types,
  exports: [PACKAGE_BUYERS_EXPORT],
  ownsBalancePayments: packagePaymentOwner,
  showsImagesToMembers: packageCoverShown,
  // Expiry, deferred renewal gifts and unpaid online orders: every minute, across tenants, at the clock's now.
  jobs: (deps) => [
    {
      name: PACKAGE_EXPIRY_JOB,
      policy: "stately",
      handler: async () => ({ settled: await runPackageExpiry(deps) }),
    },
  ],
  crons: [{ name: PACKAGE_EXPIRY_JOB, cron: "* * * * *" }],
  timers: [
    {
      job: PACKAGE_EXPIRY_JOB,
      due: [
        { table: "package_periods", at: "ends_at", where: "state = 'current'" },
        { table: "package_periods", at: "starts_at", where: "deferred_gift_due" },
        { table: "package_orders", at: "payment_expires_at", where: "status = 'pending_payment'" },
      ],
      run: (deps, tenantId, now) => runPackageExpiry(deps, tenantId, now),
    },
  ],
};
