/** The checkout module's public API: the pricing engine and the settlement port. */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, OPERATORS } from "../../platform/auth/permissions.js";
import { CHECKOUT_ERRORS } from "./checkout.errors.js";
import { CHECKOUT_EVENTS } from "./checkout.events.js";
import { checkoutPaymentOwner } from "./checkout.repository.js";

export { entitlementSourceUsed } from "./checkout.repository.js";

import { checkoutRoutes } from "./checkout.routes.js";
import { followOrderPayment } from "./finish-order.js";

export {
  type CartLine,
  DEFAULT_POINTS_RULE,
  type PointsRule,
  type Quote,
  type QuoteInput,
  quote,
  type VoucherFacts,
} from "./quote-engine.js";
export type { CheckoutSettlement, MovementRef, SettleContext } from "./settlement.js";
export { connectedSettlement, membersModuleFacts, unconnectedSettlement } from "./settlement.js";

/** Everything the checkout module adds to the app. */
export const checkoutManifest: ModuleManifest = {
  name: "checkout",
  routes: checkoutRoutes,
  permissions: {
    "checkout.quote": ALL_STAFF,
    "checkout.order": OPERATORS,
    "checkout.refund": OPERATORS,
  },
  errors: CHECKOUT_ERRORS,
  events: CHECKOUT_EVENTS.types,
  onBalancePaymentResolved: followOrderPayment,
  ownsBalancePayments: checkoutPaymentOwner,
};
