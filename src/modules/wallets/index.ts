/**
 * The wallets module's public surface: other modules import only this file.
 *
 * A member's balance is two ledger accounts in the tenant's balance asset (principal, bonus)
 * plus points lots (POINTS). Operations take a unit of work; `withinTransaction` lets a
 * module that already holds a tenant transaction and the ledger inside it (the checkout)
 * run them in that transaction, so its order and the balance movement commit together.
 */
import type { Insertable } from "kysely";
import type { AppDeps } from "../../app-types.js";
import { appendRow, type Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { LedgerOps, UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { JobDefinition, JobRunner } from "../../platform/jobs/job-runner.js";
import { changePoints } from "./change-points.js";
import { expirePayments } from "./expire-payments.js";
import { expirePoints } from "./expire-points.js";
import { spendSources } from "./lot-sources.js";
import { payWithBalance } from "./pay-with-balance.js";
import { refundPayment } from "./refund-payment.js";
import { planSpend, type SpendLine } from "./spend-plan.js";
import { memberBalance } from "./wallets.ledger.js";
import { loadSettings, WALLETS_EXPIRY_JOB } from "./wallets.repository.js";

export { changePoints } from "./change-points.js";
export {
  creditTaggedTopup,
  hasToppedUp,
  type LotRules,
  type TaggedTopupInput,
  type TaggedTopupResult,
} from "./credit-tagged-topup.js";
export { exchangeAmount, exchangePoints } from "./exchange-points.js";
export { expirePayments } from "./expire-payments.js";
export { expirePoints } from "./expire-points.js";
export { grantReward } from "./grant-reward.js";
export { usableBalance } from "./lot-sources.js";
export type { LotMove, LotRow } from "./lots.repository.js";
export { payWithBalance, splitSpend } from "./pay-with-balance.js";
export {
  type PaymentProvider,
  paymentProviders,
  signTestWebhook,
  testProviderSecret,
  type WebhookOutcome,
} from "./payment-providers.js";
export {
  assertOnlineCurrency,
  isRealCurrency,
  type ProviderResolver,
  providerResolver,
} from "./provider-registry.js";
export { AlipayProvider } from "./providers/alipay.js";
export {
  type ProviderTransports,
  REAL_PROVIDERS,
  saveProviderConfig,
  tenantAdapters,
} from "./providers/provider-configs.js";
export { paymentProviderRoutes } from "./providers/provider-configs.routes.js";
export { StripeProvider } from "./providers/stripe.js";
export { WechatpayProvider } from "./providers/wechatpay.js";
export { bonusShare, refundPayment } from "./refund-payment.js";
export { resolvePayment } from "./resolve-payment.js";
export { reverseTaggedTopup } from "./reverse-tagged-topup.js";
export { localDay, type SpendLine, type SpendSource } from "./spend-plan.js";
export { topUpOffline } from "./top-up-offline.js";
export {
  accountIds as walletAccountIds,
  type MemberBalance,
  memberBalance,
  readMemberBalance,
} from "./wallets.ledger.js";
export { REWARD_SOURCES, type RewardSource, WALLETS_EXPIRY_JOB } from "./wallets.repository.js";
export { withdrawOffline } from "./withdraw-offline.js";

/**
 * Runs wallet operations inside a transaction the caller holds, with the ledger inside it
 * (`ledger.within(trx, tenantId)`): rows the operations append are written before it returns.
 */
export async function withinTransaction<T>(
  trx: Tx,
  tenantId: string,
  ledger: LedgerOps,
  fn: (uow: UnitOfWork) => Promise<T>,
): Promise<T> {
  const rows: [keyof DB & string, Insertable<DB[keyof DB]>][] = [];
  const uow: UnitOfWork = {
    tenantId,
    trx,
    append: (table, row) => {
      rows.push([table, row as Insertable<DB[keyof DB]>]);
    },
    createAccount: (input) => ledger.createAccount(input),
    updateAccount: (id, update) => ledger.updateAccount(id, update),
    transfer: (input) => ledger.transfer(input),
    transfers: (inputs) => ledger.transfers(inputs),
    batch: (items) => ledger.batch(items),
    hold: (input) => ledger.hold(input),
    post: (input) => ledger.post(input),
    void: (input) => ledger.void(input),
    balances: (id) => ledger.balances(id),
    getAccount: (id) => ledger.getAccount(id),
  };
  const value = await fn(uow);
  for (const [table, row] of rows) await appendRow(trx, table, row);
  return value;
}

/**
 * The tenant's balance asset (what member balances, paid plans and gifted vouchers are
 * priced in), set up in the ledger on first use.
 */
export async function balanceAsset(trx: Tx, tenantId: string, now: Date): Promise<string> {
  return (await loadSettings(trx, tenantId, now)).asset;
}

/** What the member may spend now in `currency`: 0 when it is not the balance asset. */
export async function balanceAvailable(
  uow: UnitOfWork,
  memberId: string,
  currency: string,
  now: Date,
): Promise<number> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  if (settings.asset !== currency) return 0;
  return (await memberBalance(uow, memberId)).available;
}

/**
 * What balance may pay of a cart under the member's lots' rules, as a pure function of the
 * cart (lines at what they still cost, and the rest not on a line); 0 in another currency.
 */
export async function balanceUsable(
  uow: UnitOfWork,
  memberId: string,
  currency: string,
  now: Date,
): Promise<(lines: SpendLine[], rest: number) => number> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  if (settings.asset !== currency) return () => 0;
  const sources = await spendSources(uow, memberId, settings.spend_order, now);
  return (lines, rest) =>
    planSpend(lines.reduce((s, l) => s + l.amount, 0) + rest, sources, lines, rest).total;
}

/** The checkout's balance payment of a whole order share (taken at once); returns the payment id. */
export async function payOrderByBalance(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: { orderId: string; memberId: string; currency: string; amount: number },
  now: Date,
): Promise<string> {
  const payment = await payWithBalance(
    uow,
    ctx,
    {
      memberId: p.memberId,
      orderId: p.orderId,
      currency: p.currency,
      lines: [],
      amountDue: p.amount,
      externalMethod: "none",
    },
    now,
  );
  return payment.id;
}

export async function refundOrderBalance(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: { paymentId: string; amount: number; reason?: string },
  now: Date,
): Promise<void> {
  await refundPayment(uow, ctx, { paymentId: p.paymentId, amount: p.amount, reason: p.reason ?? null }, now);
}

/** Points for an order (earn) or their reversal (a negative adjustment naming the order). */
export async function orderPoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: { memberId: string; points: number; orderId: string; reverse?: boolean },
  now: Date,
): Promise<void> {
  await changePoints(
    uow,
    ctx,
    {
      memberId: p.memberId,
      operation: p.reverse ? "adjust" : "earn",
      delta: p.reverse ? -p.points : p.points,
      reason: p.reverse ? `order ${p.orderId} refunded` : `order ${p.orderId}`,
      reference: p.orderId,
    },
    now,
  );
}

/** Tenants with held payments past their timeout or points lots past their day. */
export async function tenantsWithDueWalletWork(deps: Pick<AppDeps, "db">, now: Date): Promise<string[]> {
  return deps.db.systemTx(async (trx) => {
    const payments = await trx
      .selectFrom("wallet_payments")
      .select("tenant_id")
      .distinct()
      .where("status", "=", "held")
      .where("timeout_at", "<=", now)
      .limit(10_000)
      .execute();
    const lots = await trx
      .selectFrom("wallet_point_lots as l")
      .innerJoin("ledger_accounts as a", (j) =>
        j.onRef("a.tenant_id", "=", "l.tenant_id").onRef("a.id", "=", "l.account_id"),
      )
      .select("l.tenant_id")
      .distinct()
      .where("l.expires_at", "<=", now)
      .whereRef("a.credits_posted", ">", "a.debits_posted")
      .limit(10_000)
      .execute();
    return [...new Set([...payments, ...lots].map((r) => r.tenant_id))];
  });
}

/**
 * Releases timed-out balance holds and expires points, in one tenant or in every tenant
 * with due work; tests call it after moving the clock.
 */
export async function runWalletExpiry(deps: Pick<AppDeps, "db" | "clock" | "ledger">, tenantId?: string) {
  const now = deps.clock.now();
  let payments = 0;
  let lots = 0;
  for (const id of tenantId ? [tenantId] : await tenantsWithDueWalletWork(deps, now)) {
    payments += await expirePayments(deps.ledger, id, now);
    lots += await expirePoints(deps.ledger, id, now);
  }
  return { payments, lots };
}

/** The job: scheduled per tenant (data.tenantId) when its balance settings are created. */
export function walletExpiryJob(
  deps: Pick<AppDeps, "db" | "clock" | "ledger">,
): JobDefinition<{ tenantId?: string }> {
  return {
    name: WALLETS_EXPIRY_JOB,
    policy: "singleton",
    handler: async (data) => runWalletExpiry(deps, data.tenantId),
  };
}

/** Defines the wallets' jobs on the job runner (module-jobs.ts calls this). */
export function defineWalletJobs(runner: JobRunner, deps: AppDeps): void {
  runner.define(walletExpiryJob(deps));
}
