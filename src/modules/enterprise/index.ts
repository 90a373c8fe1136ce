/**
 * Enterprise accounting's public surface: member associations and benefits sharing,
 * resource packages and usage coverage, cash coupons (vouchers) and their allocation.
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, OPERATORS } from "../../platform/auth/permissions.js";
import { ENTERPRISE_ERRORS } from "./enterprise.errors.js";
import { ENTERPRISE_EVENTS } from "./enterprise.events.js";
import { ENTERPRISE_CRONS, ENTERPRISE_TIMERS, enterpriseJobs } from "./enterprise.jobs.js";
import { enterpriseRoutes } from "./enterprise.routes.js";
import { assertMembersStayUnderMaster } from "./member-moves.js";
import { sweepCouponsBehind } from "./sweep-dead-coupons.js";

export { runCouponSweep, runPackageExpiry } from "./enterprise.jobs.js";
export { recordUsage, type UsageInput, type UsageResult } from "./resource-packages.js";
export { MAX_SHARING_BATCH } from "./sharing.js";

/** Everything the enterprise module adds to the app. */
export const enterpriseManifest: ModuleManifest = {
  name: "enterprise",
  routes: enterpriseRoutes,
  permissions: {
    "enterprise.read": ALL_STAFF,
    "enterprise.manage": OPERATORS,
    "enterprise.usage": OPERATORS,
  },
  errors: ENTERPRISE_ERRORS,
  events: ENTERPRISE_EVENTS.types,
  // Usage never draws an expired package and bills never use an expired coupon: the jobs
  // only move what is left where it belongs.
  jobs: enterpriseJobs,
  crons: ENTERPRISE_CRONS,
  timers: ENTERPRISE_TIMERS,
  // A bill refund on any route passes on at once what it returns to a dead master coupon.
  onVoucherSourcesCredited: sweepCouponsBehind,
  // An associated member account stays under its master, whose staff manage its benefits.
  orgUnitMoveGuard: assertMembersStayUnderMaster,
};
