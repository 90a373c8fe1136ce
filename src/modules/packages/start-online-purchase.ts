import type { Database, Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { type PaymentProvider, paymentProviderName } from "../wallets/index.js";
import { PackagesError } from "./packages.errors.js";
import type { OrderRow } from "./packages.repository.js";
import { prepareSale, type SaleRequest } from "./prepare-sale.js";
import { orderValues } from "./purchase-package.js";

/** How long a member has to pay online before the order is cancelled. */
export const ONLINE_PAYMENT_TTL_SECONDS = 15 * 60;

/**
 * Starts an online sale: decides it (every refusal of a sale applies), creates the payment at
 * the tenant's provider (outside any transaction: it is a network call), then records the
 * order `pending_payment` at the price the provider was told. The provider's signed
 * confirmation pays and activates it (confirm-package-payment.ts); unpaid, it is cancelled
 * after ONLINE_PAYMENT_TTL_SECONDS.
 */
export async function startOnlinePurchase<R>(
  db: Database,
  context: RequestContext,
  providers: ReadonlyMap<string, PaymentProvider>,
  req: SaleRequest & { method: "online" },
  now: Date,
  finish: (trx: Tx, order: OrderRow) => Promise<R>,
): Promise<R> {
  const tenantId = context.actor.tenantId;
  const { sale, providerName } = await db.tenantTx(tenantId, async (trx) => ({
    sale: await prepareSale(trx, context.actor, req, now, { lock: false }),
    providerName: await paymentProviderName(trx, tenantId, now),
  }));
  if (sale.price.amount === 0) {
    throw new PackagesError(
      "payment_method_not_allowed",
      "Nothing to pay online: sell it with payment method balance",
    );
  }
  const provider = providers.get(providerName);
  if (!provider) throw new PackagesError("payment_provider_unknown", `No payment provider ${providerName}`);
  const id = newId("pko");
  const expiresAt = new Date(now.getTime() + ONLINE_PAYMENT_TTL_SECONDS * 1000);
  const created = await provider.createPayment({
    tenantId,
    intentId: id,
    amount: sale.price.amount,
    currency: sale.pkg.currency,
    description: `${sale.pkg.name} (${sale.rule.duration_days} days)`,
    expiresAt,
  });
  return db.tenantTx(tenantId, async (trx) => {
    const order = await trx
      .insertInto("package_orders")
      .values({
        ...orderValues(sale, req, context, id, now),
        status: "pending_payment",
        wallet_payment_id: null,
        provider: provider.name,
        provider_ref: created.providerRef,
        payment_expires_at: expiresAt,
        checkout: JSON.stringify(created.checkout),
        period_id: null,
        refund_kind: null,
        refund_reason: null,
        refunded_at: null,
        paid_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      context,
      {
        action: "package.payment_started",
        targetType: "package_order",
        targetId: id,
        summary: { package_id: sale.pkg.id, amount: sale.price.amount, provider: provider.name },
      },
      now,
    );
    return finish(trx, order);
  });
}
