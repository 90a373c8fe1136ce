import type { Selectable, Transaction } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { type RequestContext, systemActor } from "../../platform/auth/actor.js";
import type { WebhookOutcome } from "./payment-providers.js";

/** The tables that record a payment made at a provider, found by (provider, provider_ref). */
export type PaymentTable = {
  [K in keyof DB]: DB[K] extends { tenant_id: string; provider: unknown; provider_ref: unknown } ? K : never;
}[keyof DB];

/** What the confirmation checks of the payment's row. */
export interface ProviderPaymentFacts {
  amount: number;
  currency: string;
  /** Past this the payment may no longer succeed: a confirmation then only closes it. */
  expiresAt: Date | null;
  /** Still waiting for the provider's answer. */
  open: boolean;
}

/**
 * How a signed provider notification settles its payment: `succeeded` or `failed` as the
 * provider said, `expired` when it came after the payment's time, `closed` when the payment
 * was already settled (only when the caller gives no `closed` refusal).
 */
export type ProviderPaymentResult = "succeeded" | "failed" | "expired" | "closed";

/**
 * The one lock-and-check of a verified provider notification, for every module that sells
 * online (wallet top-up intents, package orders, plan top-ups, gift card sales). The row the
 * notification names is locked first, so a duplicate or concurrent notification waits and
 * then sees the settled row. Refused with the caller's own codes, writing nothing: no such
 * payment; a different amount or currency; a payment already settled (when `closed` is
 * given, otherwise answered `closed` for the caller to decide). The actor is the provider
 * (`payment_provider:<name>`, a system actor).
 */
export async function confirmProviderPayment<T extends PaymentTable>(
  uow: UnitOfWork,
  spec: {
    table: T;
    provider: string;
    outcome: WebhookOutcome;
    facts: (row: Selectable<DB[T]>) => ProviderPaymentFacts;
    refuse: {
      notFound: () => Error;
      mismatch: () => Error;
      closed?: (row: Selectable<DB[T]>) => Error;
    };
  },
  now: Date,
): Promise<{ row: Selectable<DB[T]>; result: ProviderPaymentResult; ctx: RequestContext }> {
  const row = await lockPayment(uow.trx, uow.tenantId, spec.table, spec.provider, spec.outcome.providerRef);
  if (!row) throw spec.refuse.notFound();
  const facts = spec.facts(row);
  if (spec.outcome.amount !== facts.amount || spec.outcome.currency !== facts.currency) {
    throw spec.refuse.mismatch();
  }
  const ctx = { actor: systemActor(uow.tenantId, `payment_provider:${spec.provider}`), requestId: null };
  if (!facts.open) {
    if (spec.refuse.closed) throw spec.refuse.closed(row);
    return { row, result: "closed", ctx };
  }
  const expired = facts.expiresAt !== null && facts.expiresAt.getTime() <= now.getTime();
  const result = expired ? "expired" : spec.outcome.status;
  return { row, result, ctx };
}

/**
 * Whether the payment a refund notification names is one of this table's. A provider account
 * announces every refund made on it, another system's or another kind of sale's included (one
 * Stripe account, endpoints for top-ups and for the cashier): such a refund is acknowledged and
 * changes nothing; an unknown payment's success is left to the route (see `settleNotice`).
 */
export async function isKnownProviderPayment(
  trx: Tx,
  tenantId: string,
  table: PaymentTable,
  provider: string,
  providerRef: string,
): Promise<boolean> {
  const t = trx as unknown as Transaction<{
    payments: { tenant_id: string; provider: string | null; provider_ref: string | null };
  }>;
  const row = await t
    .selectFrom(table as unknown as "payments")
    .select("provider_ref")
    .where("tenant_id", "=", tenantId)
    .where("provider", "=", provider)
    .where("provider_ref", "=", providerRef)
    .executeTakeFirst();
  return row !== undefined;
}

async function lockPayment<T extends PaymentTable>(
  trx: Tx,
  tenantId: string,
  table: T,
  provider: string,
  providerRef: string,
): Promise<Selectable<DB[T]> | undefined> {
  // Every payment table has these columns; Kysely cannot see that through a generic name.
  const t = trx as unknown as Transaction<{
    payments: { tenant_id: string; provider: string | null; provider_ref: string | null };
  }>;
  const row = await t
    .selectFrom(table as unknown as "payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("provider", "=", provider)
    .where("provider_ref", "=", providerRef)
    .forUpdate()
    .executeTakeFirst();
  return row as Selectable<DB[T]> | undefined;
}
