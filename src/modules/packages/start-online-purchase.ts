import type { Database } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import {
  assertOnlineCurrency,
  createProviderPayment,
  type PaymentOrigin,
  type ProviderResolver,
} from "../wallets/index.js";
import { PackagesError } from "./packages.errors.js";
import type { OrderRow } from "./packages.repository.js";
import { prepareSale, type Sale, type SaleRequest } from "./prepare-sale.js";
import { orderValues } from "./purchase-package.js";

/** How long a member has to pay online before the order is cancelled. */
export const ONLINE_PAYMENT_TTL_SECONDS = 15 * 60;

/** An online sale the provider has accepted, not yet recorded. */
export interface PreparedOnlineSale {
  method: "online";
  req: SaleRequest & { method: "online" };
  sale: Sale;
  id: string;
  provider: string;
  providerRef: string;
  checkout: Record<string, unknown>;
  expiresAt: Date;
}

/**
 * Starts an online sale: decides it (every refusal of a sale applies) and creates the
 * payment at the tenant's provider, outside any unit of work (it is a network call; no lock
 * is held while the provider answers). `startOnlinePurchase` then records the order
 * `pending_payment` at the price the provider was told. The provider's signed confirmation
 * pays and activates it (confirm-package-payment.ts); unpaid, it is cancelled after
 * ONLINE_PAYMENT_TTL_SECONDS. The provider is the tenant's (the test one, or its own Alipay,
 * WeChat Pay or Stripe), in a real currency it takes; `from` is where the request came from:
 * its address for the payment's notify URL, and the payment scene.
 */
export async function prepareOnlinePurchase(
  db: Database,
  context: RequestContext,
  providers: ProviderResolver,
  req: SaleRequest & { method: "online" },
  now: Date,
  from: PaymentOrigin = {},
): Promise<PreparedOnlineSale> {
  const tenantId = context.actor.tenantId;
  const { sale, provider } = await db.tenantTx(tenantId, async (trx) => {
    const sale = await prepareSale(trx, context.actor, req, now, { lock: false });
    if (sale.price.amount === 0) {
      throw new PackagesError(
        "payment_method_not_allowed",
        "Nothing to pay online: sell it with payment method balance",
      );
    }
    return { sale, provider: await providers(trx, tenantId) };
  });
  assertOnlineCurrency(provider, sale.pkg.currency);
  const id = newId("pko");
  const expiresAt = new Date(now.getTime() + ONLINE_PAYMENT_TTL_SECONDS * 1000);
  const created = await createProviderPayment(
    provider,
    {
      tenantId,
      intentId: id,
      amount: sale.price.amount,
      currency: sale.pkg.currency,
      description: `${sale.pkg.name} (${sale.rule.duration_days} days)`,
      expiresAt,
    },
    from,
    "package-payment-webhooks",
  );
  return {
    method: "online",
    req,
    sale,
    id,
    provider: provider.name,
    providerRef: created.providerRef,
    checkout: created.checkout,
    expiresAt,
  };
}

/** Records a prepared online sale as an order waiting for its payment. */
export async function startOnlinePurchase(
  uow: UnitOfWork,
  context: RequestContext,
  input: PreparedOnlineSale,
  now: Date,
): Promise<OrderRow> {
  const { sale, id } = input;
  const order = await uow.trx
    .insertInto("package_orders")
    .values({
      ...orderValues(sale, input.req, context, id, now),
      status: "pending_payment",
      wallet_payment_id: null,
      provider: input.provider,
      provider_ref: input.providerRef,
      payment_expires_at: input.expiresAt,
      checkout: JSON.stringify(input.checkout),
      period_id: null,
      refund_kind: null,
      refund_reason: null,
      refund_record: null,
      refunded_at: null,
      paid_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow.trx,
    context,
    {
      action: "package.payment_started",
      targetType: "package_order",
      targetId: id,
      summary: { package_id: sale.pkg.id, amount: sale.price.amount, provider: input.provider },
    },
    now,
  );
  return order;
}
