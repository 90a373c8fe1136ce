/**
 * Top-up plans (§2.3), smart top-up (§2.4), recharge codes and online top-up payments.
 * Other modules import only this file. See README.md.
 */
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { ALL_STAFF, FINANCE, OPERATORS } from "../../platform/auth/permissions.js";
import { type ProviderTransports, providerResolver, tenantAdapters } from "../wallets/index.js";
import { TOPUP_CRONS, TOPUP_TIMERS, topupJobs } from "./expire-unpaid-topups.js";
import { TOPUP_ONLINE_TOPUPS } from "./online-topup-rows.js";
import { topupWebhookRoutes } from "./payment-webhook.routes.js";
import { rechargeCodeRoutes } from "./recharge-codes.routes.js";
import { smartTopupRoutes } from "./smart-topup.routes.js";
import { TOPUP_ERRORS } from "./topup.errors.js";
import { TOPUP_EVENTS } from "./topup.events.js";
import { topupCoverShown, topupPlanNamingScope } from "./topup.repository.js";
import { topupPlanRoutes } from "./topup.routes.js";

export {
  closeSmartTopup,
  creditSmartTopup,
  type OnlineSmartRequest,
  startSmartTopup,
} from "./accept-smart-offer.js";
export { isUpgrade } from "./credit-topup.js";
export { recordProviderRefundOfHeldTopup } from "./record-provider-refund.js";
export { recordRefundOfPaidTopup } from "./record-refund.js";
export { assertOrderPaymentWithinCap, assertWithinCap } from "./single-cap.js";
export { type Offer as SmartOffer, smartOffer } from "./smart-offers.js";
export { topupFigures } from "./topup-rules.js";

/**
 * The module's routes. Online payments go to the built-in `test`
 * provider or the tenant's own Alipay / WeChat Pay / Stripe configuration; tests may give
 * `paymentTransports` (network stand-ins) in the deps.
 */
export async function topupRoutes(
  app: RouteApp,
  deps: AppDeps & { paymentTransports?: ProviderTransports },
): Promise<void> {
  const secret = deps.config.signingSecret;
  const providers = providerResolver(secret, tenantAdapters(secret, deps.paymentTransports));
  topupPlanRoutes(app, deps, providers);
  smartTopupRoutes(app, deps);
  rechargeCodeRoutes(app, deps);
  await topupWebhookRoutes(app, deps, providers);
}

/** Everything the top-up module adds to the app. */
export const topupManifest: ModuleManifest = {
  name: "topup",
  storeScopeReferences: topupPlanNamingScope,
  routes: topupRoutes,
  permissions: {
    "topup.read": ALL_STAFF,
    "topup.manage": OPERATORS,
    "topup.operate": OPERATORS,
    "topup.finance": FINANCE,
  },
  errors: TOPUP_ERRORS,
  events: TOPUP_EVENTS.types,
  showsImagesToMembers: topupCoverShown,
  listsOnlineTopups: TOPUP_ONLINE_TOPUPS,
  jobs: topupJobs,
  crons: TOPUP_CRONS,
  timers: TOPUP_TIMERS,
};
