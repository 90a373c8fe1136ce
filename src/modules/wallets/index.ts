/**
 * The wallets module's public surface: other modules import only this file.
 *
 * A member's balance is two ledger accounts in the tenant's balance asset (principal, bonus)
 * plus points lots (POINTS). Operations take a unit of work; `withinTransaction` lets a
 * module that already holds a tenant transaction and the ledger inside it (the checkout)
 * run them in that transaction, so its order and the balance movement commit together.
 */

import type { AppDeps, ModuleManifest } from "../../app-types.js";
import type { ReadStatement, Tx } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { type Account, balancesOf, type LedgerOps, type UnitOfWork, unitOver } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { ALL_STAFF, FINANCE, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { type ItemFailure, ItemSweepError } from "../../platform/jobs/each-item.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import type { JobDefinition } from "../../platform/jobs/job-runner.js";
import { changePoints } from "./change-points.js";
import type { ChangeReason } from "./change-reasons.js";
import { expirePayments } from "./expire-payments.js";
import { expirePoints } from "./expire-points.js";
import { spendSources } from "./lot-sources.js";
import {
  assertRoomForLots,
  checkSpendableLots,
  LOTS_PER_TAGGED_TOPUP,
  type LotRow,
  lotLimitReached,
  MAX_SPENDABLE_LOTS,
} from "./lots.repository.js";
import { refuseClosingWithBalance } from "./member-close-guard.js";
import { payWithBalance } from "./pay-with-balance.js";
import { refundPayment } from "./refund-payment.js";
import { planSpend, type SpendLine } from "./spend-plan.js";
import { orderPointsReason, takeBackOrderPoints } from "./take-back-order-points.js";

export { type ChangeReason, reasonText, type SystemReason, systemReason } from "./change-reasons.js";
export { takeBackAwardedPoints } from "./take-back-order-points.js";

import { TOPUP_INTENTS_EXPORT, WALLET_ONLINE_TOPUPS } from "./topup-intent-list.js";
import { settingsView } from "./wallet-views.js";
import { WALLETS_ERRORS, WalletsError } from "./wallets.errors.js";
import { WALLETS_EVENTS } from "./wallets.events.js";
import {
  accountIds,
  type BalanceReader,
  memberBalance,
  peekingReader,
  readLots,
  snapshotReader,
} from "./wallets.ledger.js";
import { loadSettings, readSettings, WALLETS_EXPIRY_JOB, type WalletSettings } from "./wallets.repository.js";
import { walletsRoutes } from "./wallets.routes.js";

export { changePoints, MAX_POINTS_PER_OPERATION } from "./change-points.js";
export {
  confirmProviderPayment,
  isKnownProviderPayment,
  type ProviderPaymentFacts,
  type ProviderPaymentResult,
} from "./confirm-provider-payment.js";
export { lockedBalanceAsset } from "./confirm-topup.js";
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
  createProviderPayment,
  PAYMENT_SCENES,
  type PaymentOrigin,
  type PaymentProvider,
  type PaymentScene,
  type ProviderNotice,
  paymentOrigin,
  paymentProviders,
  signTestWebhook,
  testProviderSecret,
  type WebhookOutcome,
} from "./payment-providers.js";
export {
  type HeardAgain,
  hearProviderNotice,
  type NoticeReceipt,
  type NoticeRoute,
  PAYMENT_IGNORED,
  SANDBOX_NOTICES,
  settleNotice,
} from "./provider-notice.js";
export {
  assertOnlineCurrency,
  isRealCurrency,
  type ProviderResolver,
  providerResolver,
} from "./provider-registry.js";
export {
  type ProviderTransports,
  REAL_PROVIDERS,
  saveProviderConfig,
  tenantAdapters,
  tenantProviders,
} from "./providers/provider-configs.js";
export { paymentProviderRoutes } from "./providers/provider-configs.routes.js";
export { bonusShare, refundPayment } from "./refund-payment.js";
export { resolvePayment } from "./resolve-payment.js";
export { reverseTaggedTopup } from "./reverse-tagged-topup.js";
export { localDay, type SpendLine, type SpendSource } from "./spend-plan.js";
export { type TakenBackLog, takeBackProviderRefund } from "./take-back-refund.js";
export { topUpOffline } from "./top-up-offline.js";
export {
  accountIds as walletAccountIds,
  type MemberBalance,
  memberBalance,
  pointsLotsOf,
  pointsLotsQuery,
  readMemberBalance,
} from "./wallets.ledger.js";
export { REWARD_SOURCES, type RewardSource, WALLETS_EXPIRY_JOB } from "./wallets.repository.js";
export { CHECKOUT_DESCRIPTION, PaymentSceneField, ReturnUrlField } from "./wallets.schemas.js";
export { withdrawOffline } from "./withdraw-offline.js";

/**
 * Runs wallet operations inside a transaction the caller holds, with the ledger inside it
 * (`ledger.within(trx, tenantId)`): the ledger's own unit of work over that transaction.
 */
export const withinTransaction = unitOver;

/**
 * The tenant's balance asset (what member balances, paid plans and gifted vouchers are
 * priced in), set up in the ledger on first use.
 */
export async function balanceAsset(trx: Tx, tenantId: string, now: Date): Promise<string> {
  return (await loadSettings(trx, tenantId, now)).asset;
}

/** The tenant's balance asset as stored, or the default not yet set up: a read, nothing written. */
export async function readBalanceAsset(trx: Tx, tenantId: string, now: Date): Promise<string> {
  return (await readSettings(trx, tenantId, now)).asset;
}

/**
 * Whether the member's lots leave no room for a plan or smart top-up (two more tagged lots):
 * a collected one is then kept for a refund rather than refused. Call it with the member locked.
 */
export function taggedTopupLotsFull(trx: Tx, tenantId: string, memberId: string): Promise<boolean> {
  return lotLimitReached(trx, tenantId, memberId, LOTS_PER_TAGGED_TOPUP);
}

/** Refuses (`too_many_open_lots`) a plan or smart top-up the member's lots leave no room for. */
export function assertRoomForTaggedTopup(trx: Tx, tenantId: string, memberId: string): Promise<void> {
  return assertRoomForLots(trx, tenantId, memberId, LOTS_PER_TAGGED_TOPUP);
}

/**
 * The tenant's cap on one value-moving operation (minor units of the balance asset): what a
 * top-up's principal and bonus may each be at most when credited.
 */
export async function singleAmountCap(trx: Tx, tenantId: string, now: Date): Promise<number> {
  return (await loadSettings(trx, tenantId, now)).max_single_amount;
}

/** Whether the tenant lets members pay by balance now. */
export async function loadBalancePaymentEnabled(trx: Tx, tenantId: string, now: Date): Promise<boolean> {
  return (await loadSettings(trx, tenantId, now)).balance_payment_enabled;
}

/**
 * Refuses (422 `balance_payment_disabled`) when the tenant has turned balance payment off: a
 * top-up bought to pay an order from the balance is refused so before its payment is collected.
 */
export async function assertBalancePaymentEnabled(trx: Tx, tenantId: string, now: Date): Promise<void> {
  if (!(await loadBalancePaymentEnabled(trx, tenantId, now))) {
    throw new WalletsError("balance_payment_disabled", "Balance payment is turned off for this tenant");
  }
}

/** The online payment provider the tenant's settings name (other modules' online sales use it too). */
export async function paymentProviderName(trx: Tx, tenantId: string, now: Date): Promise<string> {
  return (await loadSettings(trx, tenantId, now)).payment_provider;
}

/** What the member center shows of the balance settings: the asset, and whether the balance or top-up is off. */
export async function memberCenterWallet(trx: Tx, tenantId: string, now: Date) {
  const { settings, asset } = await settingsView(trx, tenantId, now);
  return {
    asset: { code: asset.code, scale: asset.scale, symbol: asset.symbol, name: asset.name },
    hideBalance: settings.hide_balance_in_member_center,
    onlineTopup: settings.online_topup_enabled && !settings.hide_balance_in_member_center,
    pointsPerUnit: settings.points_per_unit,
  };
}

/** A member's points and referral points now, read without locking (shown even while the balance is hidden). */
export async function readMemberPoints(trx: Tx, tenantId: string, memberId: string, now: Date) {
  const sum = async (kind: "points" | "referral_points") =>
    (await readLots(trx, tenantId, memberId, kind, now)).reduce((s, l) => s + l.balance, 0);
  return { points: await sum("points"), referralPoints: await sum("referral_points") };
}

/**
 * What a cart may take from the member's balance: all it holds now (`available`), and what it
 * may pay of a cart under the member's lots' rules (`usable`, a pure function of the cart's
 * lines at what they still cost and the rest not on a line); nothing in another currency.
 * With a unit of work the member's balance accounts are locked (an order that then pays);
 * with a transaction and the ledger they are only read (a quote), and nothing is written.
 * Each account is read once for both figures.
 */
export async function balanceForCart(
  source: UnitOfWork | { trx: Tx; ledger: LedgerOps; tenantId: string },
  memberId: string,
  currency: string,
  now: Date,
): Promise<{ available: number; usable: CartUsable }> {
  const locking = !("ledger" in source);
  const settings = locking
    ? await loadSettings(source.trx, source.tenantId, now)
    : await readSettings(source.trx, source.tenantId, now);
  const reader = readOnce(locking ? source : peekingReader(source.trx, source.ledger, source.tenantId));
  return cartBalanceOf(reader, settings, memberId, currency, now);
}

/**
 * The reads `cartBalanceFromRows` needs, as statements for one read-only snapshot of the
 * tenant (`Database.tenantRead`): the stored settings, the member's open lots (as `openLots`
 * finds them), and the ledger accounts of the member's principal, bonus and those lots.
 */
export function cartBalanceReads(tenantId: string, memberId: string): ReadStatement[] {
  const openLot = `l.tenant_id = $1::text and l.member_id = $2::text
      and (a.id is null or a.credits_posted > a.debits_posted)`;
  return [
    { text: "select asset, spend_order from wallet_settings where tenant_id = $1::text", values: [tenantId] },
    {
      text: `select l.* from wallet_lots l
         left join ledger_accounts a on a.tenant_id = l.tenant_id and a.id = l.id
       where ${openLot} order by l.created_at, l.id limit ${MAX_SPENDABLE_LOTS + 1}`,
      values: [tenantId, memberId],
    },
    {
      text: `select a.* from ledger_accounts a
       where a.tenant_id = $1::text and a.id in ($3::text, $4::text)
       union all
       select a.* from wallet_lots l
         join ledger_accounts a on a.tenant_id = l.tenant_id and a.id = l.id
       where ${openLot}`,
      values: [tenantId, memberId, accountIds.principal(memberId), accountIds.bonus(memberId)],
    },
  ];
}

/**
 * `balanceForCart` of a quote over rows `cartBalanceReads` returned (in that order), with the
 * tenant's default currency and zone: the same figures, no database asked.
 */
export async function cartBalanceFromRows(
  rows: readonly Record<string, unknown>[][],
  p: {
    tenantId: string;
    memberId: string;
    currency: string;
    defaultCurrency: string;
    zone: string;
    now: Date;
  },
): Promise<{ available: number; usable: CartUsable }> {
  const [settingsRows, lotRows, accountRows] = rows as [
    Pick<WalletSettings, "asset" | "spend_order">[],
    LotRow[],
    Account[],
  ];
  // Unstored settings read as the defaults the first write stores (readSettings).
  const settings = settingsRows[0] ?? { asset: p.defaultCurrency, spend_order: "bonus_first" as const };
  const balances = new Map(accountRows.map((a) => [a.id, balancesOf(a)]));
  const reader = snapshotReader(p.tenantId, balances, { lots: checkSpendableLots(lotRows), zone: p.zone });
  return cartBalanceOf(reader, settings, p.memberId, p.currency, p.now);
}

/** A reader that asks for each account's balances once (one decision, one view of each account). */
function readOnce(reader: BalanceReader): BalanceReader {
  const seen = new Map<string, ReturnType<BalanceReader["balances"]>>();
  return {
    trx: reader.trx,
    tenantId: reader.tenantId,
    ...(reader.prefetched ? { prefetched: reader.prefetched } : {}),
    ...(reader.unwrittenAccounts ? { unwrittenAccounts: reader.unwrittenAccounts.bind(reader) } : {}),
    balances: (id) => {
      let read = seen.get(id);
      if (!read) {
        read = reader.balances(id);
        seen.set(id, read);
      }
      return read;
    },
  };
}

/**
 * What the balance may pay of `amount` (default: the lines and `rest` together) for an order
 * of `lines` plus `rest` not on any line — as `payWithBalance` plans the payment.
 */
type CartUsable = (lines: SpendLine[], rest: number, amount?: number) => number;

/** `balanceForCart`'s figures from a reader (each account read once) and the wallet settings. */
async function cartBalanceOf(
  reader: BalanceReader,
  settings: Pick<WalletSettings, "asset" | "spend_order">,
  memberId: string,
  currency: string,
  now: Date,
): Promise<{ available: number; usable: CartUsable }> {
  if (settings.asset !== currency) return { available: 0, usable: () => 0 };
  const available = (await memberBalance(reader, memberId)).available;
  const sources = await spendSources(reader, memberId, settings.spend_order, now);
  return {
    available,
    usable: (lines, rest, amount = lines.reduce((s, l) => s + l.amount, 0) + rest) =>
      planSpend(amount, sources, lines, rest).total,
  };
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
  p: { paymentId: string; amount: number; reason?: ChangeReason },
  now: Date,
): Promise<void> {
  await refundPayment(uow, ctx, { paymentId: p.paymentId, amount: p.amount, reason: p.reason ?? null }, now);
}

/**
 * Points for an order (earn) or their reversal (`reverse`: taken back first from the lots the
 * award went into, see `takeBackOrderPoints`). A reversal is part of a refund, which a frozen
 * member may have (the members module's rule), so it is never refused for the freeze; an award
 * is, unless the caller allows it (`allowFrozen`: an order the member placed and paid for
 * before being frozen).
 */
export async function orderPoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: { memberId: string; points: number; orderId: string; reverse?: boolean; allowFrozen?: boolean },
  now: Date,
): Promise<void> {
  if (p.reverse) {
    await takeBackOrderPoints(uow, ctx, p, now);
    return;
  }
  await changePoints(
    uow,
    ctx,
    {
      memberId: p.memberId,
      operation: "earn",
      delta: p.points,
      reason: orderPointsReason(p.orderId),
      reference: p.orderId,
      allowFrozen: p.allowFrozen === true,
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
      .where(liveTenantOnly("wallet_payments.tenant_id"))
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
      .where(liveTenantOnly("l.tenant_id"))
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
  if (tenantId) return expireTenantWallets(deps, tenantId, now);
  const done = await forEachTenant(WALLETS_EXPIRY_JOB, await tenantsWithDueWalletWork(deps, now), (id) =>
    expireTenantWallets(deps, id, now),
  );
  return {
    payments: done.reduce((sum, d) => sum + d.payments, 0),
    lots: done.reduce((sum, d) => sum + d.lots, 0),
  };
}

/**
 * One tenant's timed-out balance holds and expired points at `now`. A payment that cannot be
 * released does not keep the points from expiring: both run, then any failure is thrown.
 */
async function expireTenantWallets(deps: Pick<AppDeps, "ledger">, tenantId: string, now: Date) {
  const failures: ItemFailure[] = [];
  const step = (id: string, run: () => Promise<number>) =>
    run().catch((error: unknown) => {
      failures.push({ id, error });
      return 0;
    });
  const payments = await step("held payments", () => expirePayments(deps.ledger, tenantId, now));
  const lots = await step("points expiry", () => expirePoints(deps.ledger, tenantId, now));
  if (failures.length === 1) throw failures[0]!.error;
  if (failures.length > 1) throw new ItemSweepError("wallet expiry step(s)", failures);
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

/** Everything the wallets module adds to the app. */
export const walletsManifest: ModuleManifest = {
  name: "wallets",
  routes: walletsRoutes,
  permissions: {
    "wallets.read": ALL_STAFF,
    "wallets.operate": OPERATORS,
    "wallets.pay": OPERATORS,
    "wallets.settings": MANAGERS,
    "wallets.finance": FINANCE,
  },
  errors: WALLETS_ERRORS,
  events: WALLETS_EVENTS.types,
  exports: [TOPUP_INTENTS_EXPORT],
  jobs: (deps) => [walletExpiryJob(deps)],
  memberCloseGuard: refuseClosingWithBalance,
  listsOnlineTopups: WALLET_ONLINE_TOPUPS,
  timers: [
    {
      job: WALLETS_EXPIRY_JOB,
      due: [
        { table: "wallet_payments", at: "timeout_at", where: "status = 'held'" },
        {
          table: "wallet_point_lots",
          at: "expires_at",
          where:
            "exists (select 1 from ledger_accounts a where a.tenant_id = wallet_point_lots.tenant_id and a.id = wallet_point_lots.account_id and a.credits_posted > a.debits_posted)",
        },
      ],
      run: expireTenantWallets,
    },
  ],
};
