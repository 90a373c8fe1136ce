/**
 * Enterprise accounting's public surface: member associations and benefits sharing,
 * resource packages and usage coverage, cash coupons (vouchers) and their allocation.
 */
export { enterpriseRoutes } from "./enterprise.routes.js";
export { recordUsage, type UsageInput, type UsageResult } from "./resource-packages.js";
export { MAX_SHARING_BATCH } from "./sharing.js";
