import { type QueryCreator, sql } from "kysely";
import type { RowsOfEach, Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { type Asset, findAsset, type UnitOfWork } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { type PageParams, pageQuery } from "../../platform/http/pagination.js";
import { findVisibleMember, visibleMemberOf, visibleMemberQueries } from "../members/index.js";
import { pointsTotal } from "./points-lots.js";
import { WalletsError } from "./wallets.errors.js";
import {
  type MemberBalance,
  memberBalance,
  memberBalanceOf,
  memberBalanceQueries,
  pointsLotsOf,
  pointsLotsQuery,
} from "./wallets.ledger.js";
import {
  defaultScale,
  findIntent,
  findPayment,
  type IntentRow,
  loadSettings,
  type PaymentRow,
  type PaymentStatus,
  paymentsQuery,
  readSettings,
  refundedTotal,
  settingsOfRows,
  settingsQueries,
  type WalletSettings,
} from "./wallets.repository.js";

/**
 * What the wallets API reads: each view checks what the caller may see and returns data the
 * schemas serialize. Views take the tenant transaction; handlers hold no SQL.
 */
export interface SettingsView {
  settings: WalletSettings;
  asset: Asset;
}

/** The settings as stored, or as the first write will store them (this read writes nothing). */
export async function settingsView(trx: Tx, tenantId: string, now: Date): Promise<SettingsView> {
  return settingsOf(trx, tenantId, await readSettings(trx, tenantId, now));
}

export async function settingsOf(trx: Tx, tenantId: string, settings: WalletSettings): Promise<SettingsView> {
  const scale = defaultScale(settings.asset);
  // Before the first write the asset may not exist yet: it will be created as shown here.
  const asset = (await findAsset(trx, tenantId, settings.asset)) ?? {
    code: settings.asset,
    scale,
    symbol: null,
    name: settings.asset,
    created_at: settings.created_at,
  };
  return { settings, asset };
}

export interface BalanceView {
  object: "balance";
  member_id: string;
  asset: string;
  principal: number;
  bonus: number;
  total: number;
  held: number;
  available: number;
  points: number;
  referral_points: number;
}

/** Whether the caller is a member for whom the merchant hides the balance in the member center. */
export async function balanceHiddenFrom(trx: Tx, actor: Actor, now: Date): Promise<boolean> {
  if (actor.type !== "member") return false;
  return (await readSettings(trx, actor.tenantId, now)).hide_balance_in_member_center;
}

/**
 * What the balance a caller may see reads, as queries none of which needs another's answer,
 * for `Database.tenantQueries`; `balanceViewOf` checks and reads their rows.
 */
export function balanceQueries(qc: QueryCreator<DB>, tenantId: string, memberId: string, now: Date) {
  return [
    ...settingsQueries(qc, tenantId),
    ...visibleMemberQueries(qc, tenantId, memberId),
    ...memberBalanceQueries(qc, tenantId, memberId),
    pointsLotsQuery(qc, tenantId, memberId, "points", now),
    pointsLotsQuery(qc, tenantId, memberId, "referral_points", now),
  ] as const;
}

/** The balance a caller may see: a member token is refused while the balance is hidden. */
export function balanceViewOf(
  actor: Actor,
  memberId: string,
  rows: RowsOfEach<ReturnType<typeof balanceQueries>>,
  now: Date,
): BalanceView {
  const [stored, defaults, members, unitPaths, accounts, lotTotals, points, referral] = rows;
  const settings = settingsOfRows(actor.tenantId, stored, defaults, now);
  visibleMemberOf(actor, memberId, members, unitPaths);
  if (actor.type === "member" && settings.hide_balance_in_member_center) {
    throw new WalletsError("balance_hidden", "The balance is hidden in the member center");
  }
  const sum = (lots: { balance: number }[]) => lots.reduce((s, l) => s + l.balance, 0);
  return balanceOf(memberId, settings.asset, memberBalanceOf(memberId, accounts, lotTotals), {
    points: sum(pointsLotsOf(points)),
    referral: sum(pointsLotsOf(referral)),
  });
}

function balanceOf(
  memberId: string,
  asset: string,
  b: MemberBalance,
  points: { points: number; referral: number },
): BalanceView {
  return {
    object: "balance",
    member_id: memberId,
    asset,
    principal: b.principal,
    bonus: b.bonus,
    total: b.total,
    held: b.held,
    available: b.available,
    points: points.points,
    referral_points: points.referral,
  };
}

/** The answer of a balance operation: the change and the balance as the unit left it. */
export async function operationView(uow: UnitOfWork, memberId: string, changeId: string, now: Date) {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  const balance = balanceOf(memberId, settings.asset, await memberBalance(uow, memberId), {
    points: await pointsTotal(uow, "points", memberId, now),
    referral: await pointsTotal(uow, "referral_points", memberId, now),
  });
  return { object: "balance_operation" as const, change_id: changeId, balance };
}

/** A payment the caller may see (another member's, or one outside a scope: payment_not_found). */
export async function visiblePayment(trx: Tx, actor: Actor, id: string): Promise<PaymentRow> {
  const p = await findPayment(trx, actor.tenantId, { id });
  if (!p) throw new WalletsError("payment_not_found", "Payment not found");
  try {
    await findVisibleMember(trx, actor, p.member_id);
  } catch {
    throw new WalletsError("payment_not_found", "Payment not found");
  }
  return p;
}

export interface PaymentView {
  payment: PaymentRow;
  refunded: number;
}

export async function paymentView(trx: Tx, tenantId: string, payment: PaymentRow): Promise<PaymentView> {
  return { payment, refunded: await refundedTotal(trx, tenantId, payment.id) };
}

/**
 * Payments newest first. A member token lists only its own; a caller bound to an org unit
 * lists per member (it cannot see the whole tenant's).
 */
export async function listPayments<T>(
  trx: Tx,
  actor: Actor,
  query: PageParams & { member_id?: string; order_id?: string; status?: PaymentStatus },
  serialize: (view: PaymentView) => T,
) {
  const memberId = actor.type === "member" ? actor.memberId! : query.member_id;
  if (actor.type === "member" && query.member_id && query.member_id !== memberId) {
    throw new WalletsError("member_not_found", "Member not found");
  }
  if (memberId) await findVisibleMember(trx, actor, memberId);
  else if (actor.orgUnitPath)
    throw new WalletsError("validation_failed", "A scoped caller lists payments per member_id");
  // What each payment has had refunded comes with it, not in a read per payment.
  const q = paymentsQuery(trx, actor.tenantId, { ...query, member_id: memberId }).select(
    sql<string>`coalesce((select sum(r.amount) from wallet_refunds r
      where r.tenant_id = wallet_payments.tenant_id and r.payment_id = wallet_payments.id), 0)`.as(
      "refunded_total",
    ),
  );
  return pageQuery(
    q,
    query,
    ({ refunded_total, ...payment }) => serialize({ payment, refunded: Number(refunded_total) }),
    { desc: true },
  );
}

export async function visibleIntent(trx: Tx, actor: Actor, id: string): Promise<IntentRow> {
  const intent = await findIntent(trx, actor.tenantId, id);
  if (!intent) throw new WalletsError("topup_intent_not_found", "Top-up intent not found");
  try {
    await findVisibleMember(trx, actor, intent.member_id);
  } catch {
    throw new WalletsError("topup_intent_not_found", "Top-up intent not found");
  }
  return intent;
}
