import type { FastifyReply, FastifyRequest } from "fastify";
import type { Database } from "../../db/database.js";
import type { Ledger, UnitOfWork } from "../../ledger/index.js";
import { atNotifiedTenantTime } from "../../platform/sandbox/notified-tenant.js";
import { type Clock, realNow } from "../../shared/clock.js";
import { isKnownProviderPayment, type PaymentTable } from "./confirm-provider-payment.js";
import type { PaymentProvider, ProviderNotice, WebhookOutcome } from "./payment-providers.js";
import type { ProviderResolver } from "./provider-registry.js";

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

/** What every notify route's description says of sandboxes (see `atNotifiedTenantTime`). */
export const SANDBOX_NOTICES =
  "A sandbox's notice is settled at the sandbox's test-clock time (what was in time or late is so by that clock). An archived sandbox's notice answers 403 sandbox_archived before its signature is checked and changes nothing: the provider retries later, and once the sandbox is restored (POST /v1/sandboxes/{id}/restore) the retried notice settles normally.";

/** How a provider resending until answered wants a notice heard again: acknowledged, not refused. */
export interface HeardAgain {
  acknowledgeSettled: boolean;
}

/** What a sale's notify route knows: where its providers, payments and settlement are. */
export interface NoticeRoute<R extends { result: string }, K extends string> {
  providers: ProviderResolver;
  table: PaymentTable;
  /** The route's own answer for a tenant that does not exist. */
  notFound: () => Error;
  settle: (
    uow: UnitOfWork,
    provider: PaymentProvider,
    outcome: WebhookOutcome,
    now: Date,
    again: HeardAgain,
  ) => Promise<R>;
  /** The receipt's field that names the sale, and the sale's id in what `settle` answered. */
  receipt: readonly [K, (settled: R) => string | null];
}

/** The answer to a notice: what was done, and to which sale (null for one left alone). */
export type NoticeReceipt<R extends { result: string }, K extends string> = {
  object: "webhook_receipt";
  result: R["result"] | typeof PAYMENT_IGNORED;
} & { [key in K]: string | null };

/**
 * A provider's notification at one sale's notify route (`/v1/…-payment-webhooks/:provider/
 * :tenant_id`, public: the tenant comes from the URL). The tenant is checked first
 * (`atNotifiedTenantTime`: unknown → the route's not-found error, an archived sandbox → 403
 * sandbox_archived, a sandbox at its test clock's time); then the signature, over the exact
 * raw body, against the real time the provider signed at; then the notice is settled in one
 * unit of work at the tenant's time. A provider with an answer of its own (Alipay's `success`)
 * gets it; otherwise the receipt.
 */
export async function hearProviderNotice<R extends { result: string }, K extends string>(
  deps: { db: Database; clock: Clock; ledger: Ledger },
  request: FastifyRequest,
  reply: FastifyReply,
  route: NoticeRoute<R, K>,
): Promise<NoticeReceipt<R, K> | FastifyReply> {
  const params = request.params as { provider: string; tenant_id: string };
  const tenantId = params.tenant_id;
  const raw = typeof request.body === "string" ? request.body : "";
  return atNotifiedTenantTime(deps.db, tenantId, route.notFound, async () => {
    const provider = await deps.db.tenantTx(tenantId, (trx) =>
      route.providers(trx, tenantId, params.provider),
    );
    const notice = await provider.parseWebhook(raw, request.headers, realNow(deps.clock));
    const now = deps.clock.now();
    const again = { acknowledgeSettled: provider.resendsUntilAcknowledged === true };
    const heard = await deps.ledger.run(tenantId, (uow) =>
      settleNotice(uow, provider, route.table, notice, (outcome) =>
        route.settle(uow, provider, outcome, now, again),
      ),
    );
    const ack = provider.acknowledge?.();
    if (ack) return reply.header("content-type", ack.contentType).send(ack.body);
    const [field, idOf] = route.receipt;
    const sale = heard === PAYMENT_IGNORED ? null : idOf(heard);
    const result = heard === PAYMENT_IGNORED ? heard : heard.result;
    return { object: "webhook_receipt", result, [field]: sale } as NoticeReceipt<R, K>;
  });
}
