/** The checkout module's public API: the pricing engine and the settlement port. */
export { checkoutRoutes } from "./checkout.routes.js";
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
