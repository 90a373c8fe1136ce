/**
 * The member center's cashier (issue 22): orders a merchant's backend hands over for its
 * member to pay in the member center — by balance, by balance with the rest online, or after
 * a smart top-up. Other modules import only this file. Rules: README.md.
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, FINANCE, OPERATORS } from "../../platform/auth/permissions.js";
import { CASHIER_ERRORS } from "./cashier.errors.js";
import { CASHIER_EVENTS } from "./cashier.events.js";
import { cashierRoutes } from "./cashier.routes.js";
import { followCashierHold } from "./follow-hold.js";
import { cashierBalanceOrder } from "./order-access.js";
import { followCashierRefund } from "./order-refunds.js";
import { cashierTopupPaymentHolder } from "./record-payment-refund.js";
import { CASHIER_CRONS, CASHIER_TIMERS, cashierJobs } from "./release-lapsed-topups.js";

export { runLapsedTopupRelease } from "./release-lapsed-topups.js";

/** Everything the cashier adds to the app. */
export const cashierManifest: ModuleManifest = {
  name: "cashier",
  routes: cashierRoutes,
  permissions: { "cashier.read": ALL_STAFF, "cashier.create": OPERATORS, "cashier.finance": FINANCE },
  errors: CASHIER_ERRORS,
  events: CASHIER_EVENTS.types,
  // A partial payment's held balance decides the order: captured → paid, released → open again.
  onBalancePaymentResolved: followCashierHold,
  // Its balance payment refunded at the wallets gives the order's money back: the order says so.
  onBalancePaymentRefunded: followCashierRefund,
  // A smart top-up's refund is owed on its attempt too: recorded on either, it is recorded on both.
  holdsTopupPayments: cashierTopupPaymentHolder,
  // A smart top-up offer for an order counts only the balance the order's payment may use.
  balanceOrders: cashierBalanceOrder,
  // A smart top-up the provider never answers is closed at its deadline, reopening the order.
  jobs: cashierJobs,
  crons: CASHIER_CRONS,
  timers: CASHIER_TIMERS,
};
