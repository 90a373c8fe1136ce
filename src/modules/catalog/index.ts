/**
 * The catalog: pieces every seed-001 plan shares (packages, top-up plans, smart top-up,
 * gift cards, student ID). Other modules import only this file. See README.md.
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, OPERATORS } from "../../platform/auth/permissions.js";
import { CATALOG_ERRORS } from "./catalog.errors.js";
import { catalogRoutes } from "./catalog.routes.js";

export {
  type AcceptedAgreement,
  acceptAgreements,
  assertAgreementOfType,
  MAX_AGREEMENT_BYTES,
} from "./agreement-rules.js";
export {
  AGREEMENT_TYPES,
  type AgreementType,
  type GiftGrantRow,
  IMAGE_PURPOSES,
  type ImagePurpose,
} from "./catalog.repository.js";

export {
  activeEntitlements,
  activeEntitlementsRead,
  type EntitlementFacts,
  entitlementsFromRows,
  lockSourceEntitlements,
  memberEntitlements,
} from "./entitlements.js";
export { GiftSpec, MAX_VOUCHERS_PER_GRANT, validateGiftSpec } from "./gift-spec.js";
export {
  configureGiftStock,
  giftStockLevels,
  giftStocksQuery,
  returnGiftStock,
  stockLevelsOf,
  takeGiftStock,
} from "./gift-stock.js";
export { type EntitlementSource, grantEntitlements } from "./grant-entitlements.js";
export { type GiftGrant, type GrantGiftInput, grantGift } from "./grant-gift.js";
export { assertImage, findImage } from "./images.js";
export { revokeEntitlements } from "./revoke-entitlements.js";
export { giftGrants, type RevokedGifts, revokeGifts, usedGiftVouchers } from "./revoke-gifts.js";
export { saveImage } from "./save-image.js";
export {
  Availability,
  type ClosedReason,
  closedReason,
  onLocalDates,
  PlanSchedule,
  scheduleOpen,
} from "./schedule.js";
export { StoreScope, storeInScope, storeInScopeGiven, validateStoreScope } from "./store-scope.js";
export { catalogRoutes };

/** Everything the catalog adds to the app. */
export const catalogManifest: ModuleManifest = {
  name: "catalog",
  routes: catalogRoutes,
  permissions: { "catalog.read": ALL_STAFF, "catalog.manage": OPERATORS },
  errors: CATALOG_ERRORS,
};
