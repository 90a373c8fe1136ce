import type { UnitOfWork } from "../../ledger/index.js";
import { isKnownProviderPayment, type PaymentTable } from "./confirm-provider-payment.js";
import type { PaymentProvider, ProviderNotice, WebhookOutcome } from "./payment-providers.js";

/** The answer to a notice a sale's route acknowledges and leaves alone. */
export const PAYMENT_IGNORED = "payment_ignored";

/**
 * Settles a verified notice on one kind of sale, or leaves it alone. Every sale has its own
 * notify route, but a provider account announces all its payments to every endpoint (Stripe's
 * dashboard endpoints get every event): a success or failure of a payment this table does not
 * hold is another sale's. A provider that resends until answered 2xx gets it acknowledged
 * (`payment_ignored`, nothing written), or it would retry for days and mark the endpoint
 * failing; the test provider resends nothing, so an integrator sees the route's 404 for a
 * mistaken reference. An event kind no sale acts on is acknowledged likewise. Refunds are left
 * to `settle`, which answers an unknown payment's refund itself (`refund_ignored`).
 */
export async function settleNotice<R>(
  uow: UnitOfWork,
  provider: PaymentProvider,
  table: PaymentTable,
  notice: ProviderNotice,
  settle: (outcome: WebhookOutcome) => Promise<R>,
): Promise<R | typeof PAYMENT_IGNORED> {
  if (notice.kind === "unhandled") return PAYMENT_IGNORED;
  if (
    notice.kind !== "refund" &&
    provider.resendsUntilAcknowledged === true &&
    !(await isKnownProviderPayment(uow.trx, uow.tenantId, table, provider.name, notice.providerRef))
  ) {
    return PAYMENT_IGNORED;
  }
  return settle(notice);
}
