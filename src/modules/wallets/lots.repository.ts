import type { ColumnType, QueryCreator, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, Timestamp } from "../../db/schema.js";
import { WalletsError } from "./wallets.errors.js";

export type LotKind = "principal" | "bonus";

/**
 * A tagged lot: the principal or the bonus of one top-up, in its own ledger account (the
 * account's id is the lot's id), with the rules for spending it. The amount is what was
 * credited; what is left is the account's balance (never a column here).
 */
export interface WalletLotsTable {
  tenant_id: string;
  id: string;
  member_id: string;
  kind: LotKind;
  asset: string;
  amount: number;
  source_type: string;
  source_id: string;
  source_name: string;
  /** Null: usable on anything; a list: only on order lines with these SKUs. */
  eligible_skus: Json<string[] | null>;
  /** On the top-up day at most this share (basis points) of the lot may be spent. */
  same_day_limit_bps: number | null;
  /** Not usable at all on the top-up day. */
  no_use_on_topup_day: ColumnType<boolean, boolean | undefined, boolean>;
  /** The local date (tenant zone) of the top-up, `YYYY-MM-DD`. */
  topup_day: string;
  /** What the provider's refunds of the top-up took back out of the lot (never given). */
  taken_back: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
}

export interface WalletPaymentLegsTable {
  tenant_id: string;
  payment_id: string;
  account_id: string;
  lot_id: string | null;
  kind: LotKind;
  amount: number;
  transfer_id: string;
  seq: number;
}

export interface WalletRefundLegsTable {
  tenant_id: string;
  refund_id: string;
  payment_id: string;
  account_id: string;
  kind: LotKind;
  amount: number;
}

declare module "../../db/schema.js" {
  interface DB {
    wallet_lots: WalletLotsTable;
    wallet_payment_legs: WalletPaymentLegsTable;
    wallet_refund_legs: WalletRefundLegsTable;
  }
}

export type LotRow = Selectable<WalletLotsTable>;
export type PaymentLegRow = Selectable<WalletPaymentLegsTable>;

/** One line of a change-log row's `lots`: which lot moved how much. */
export interface LotMove {
  lot_id: string;
  kind: LotKind;
  amount: number;
}

/** A top-up is refused when it would leave the member more than this many lots with money left. */
export const MAX_OPEN_LOTS = 200;

/**
 * The most lots with money left that a balance read takes in. Refunds put money back into
 * the lots that paid, emptied or not, so a member may hold more than `MAX_OPEN_LOTS` (each
 * refund of a payment that emptied many lots reopens them); past this many a balance
 * operation is refused (`too_many_open_lots`) rather than leave some money unseen.
 */
export const MAX_SPENDABLE_LOTS = 10 * MAX_OPEN_LOTS;

/** Refuses a member's open lots past `MAX_SPENDABLE_LOTS` (given at most one more, as read). */
export function checkSpendableLots<T>(lots: readonly T[]): readonly T[] {
  if (lots.length > MAX_SPENDABLE_LOTS) {
    throw new WalletsError(
      "too_many_open_lots",
      `The member holds more than ${MAX_SPENDABLE_LOTS} top-up lots with money left, more than one balance operation reads`,
      { extra: { limit: MAX_SPENDABLE_LOTS } },
    );
  }
  return lots;
}

/**
 * Every lot of the member that may hold money, oldest first: those whose ledger account shows
 * a balance, those whose account row is not written yet (created in this ledger batch), and
 * `touched` (lots this transaction credited and has not written yet). More than
 * `MAX_SPENDABLE_LOTS` is refused.
 */
export async function openLots(
  trx: Tx,
  tenantId: string,
  memberId: string,
  touched: readonly string[] = [],
): Promise<LotRow[]> {
  const rows = await trx
    .selectFrom("wallet_lots as l")
    .leftJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "l.tenant_id").onRef("a.id", "=", "l.id"),
    )
    .selectAll("l")
    .where("l.tenant_id", "=", tenantId)
    .where("l.member_id", "=", memberId)
    .where((eb) =>
      eb.or([
        eb("a.id", "is", null),
        eb("a.credits_posted", ">", eb.ref("a.debits_posted")),
        ...(touched.length > 0 ? [eb("l.id", "in", [...touched])] : []),
      ]),
    )
    .orderBy("l.created_at")
    .orderBy("l.id")
    .limit(MAX_SPENDABLE_LOTS + 1)
    .execute();
  checkSpendableLots(rows);
  return rows;
}

/** The lots a tagged top-up opens, counted whether or not it has a bonus: its principal and its bonus. */
export const LOTS_PER_TAGGED_TOPUP = 2;

/**
 * Whether a top-up opening `opening` more lots would be refused for the member's lots: it
 * would leave them more than `MAX_OPEN_LOTS` with money left, or they already hold more than
 * a balance read takes in (`MAX_SPENDABLE_LOTS`, where even an untagged credit's balance
 * cannot be read). Decided with the member locked; one answer for refusing a top-up before
 * its payment is asked for and for keeping a collected one for a refund.
 */
export async function lotLimitReached(
  trx: Tx,
  tenantId: string,
  memberId: string,
  opening: number,
): Promise<boolean> {
  let open: number;
  try {
    open = (await openLots(trx, tenantId, memberId)).length;
  } catch (error) {
    if (error instanceof WalletsError && error.code === "too_many_open_lots") return true;
    throw error;
  }
  return opening > 0 && open + opening > MAX_OPEN_LOTS;
}

/** Refuses a top-up that `lotLimitReached` says cannot be credited. */
export async function assertRoomForLots(
  trx: Tx,
  tenantId: string,
  memberId: string,
  opening: number,
): Promise<void> {
  if (await lotLimitReached(trx, tenantId, memberId, opening)) {
    throw new WalletsError(
      "too_many_open_lots",
      `The member's top-up lots with money left leave no room for another top-up (at most ${MAX_OPEN_LOTS}); spend or withdraw some first`,
      { extra: { limit: MAX_OPEN_LOTS } },
    );
  }
}

export async function paymentLegs(trx: Tx, tenantId: string, paymentId: string): Promise<PaymentLegRow[]> {
  return trx
    .selectFrom("wallet_payment_legs")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("payment_id", "=", paymentId)
    .orderBy("seq")
    .execute();
}

/** What each account of a payment has had back so far. */
export async function refundedByAccount(
  trx: Tx,
  tenantId: string,
  paymentId: string,
): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom("wallet_refund_legs")
    .select(["account_id", (eb) => eb.fn.sum<string>("amount").as("amount")])
    .where("tenant_id", "=", tenantId)
    .where("payment_id", "=", paymentId)
    .groupBy("account_id")
    .execute();
  return new Map(rows.map((r) => [r.account_id, Number(r.amount)]));
}

/** The tagged part of a member's balance for reads (no lock): posted, by kind. */
export async function readLotTotals(trx: Tx, tenantId: string, memberId: string): Promise<LotTotals> {
  return lotTotalsOf(await lotTotalsQuery(trx, tenantId, memberId).execute());
}

export interface LotTotals {
  principal: number;
  bonus: number;
  principalAvailable: number;
  bonusAvailable: number;
}

/** What `readLotTotals` reads, as a query for a transaction or for `Database.tenantQueries`. */
export function lotTotalsQuery(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return qc
    .selectFrom("wallet_lots as l")
    .innerJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "l.tenant_id").onRef("a.id", "=", "l.id"),
    )
    .select([
      "l.kind",
      (eb) => eb.fn.sum<string>(eb("a.credits_posted", "-", eb.ref("a.debits_posted"))).as("posted"),
      (eb) =>
        eb.fn
          .sum<string>(
            eb(eb("a.credits_posted", "-", eb.ref("a.debits_posted")), "-", eb.ref("a.debits_pending")),
          )
          .as("available"),
    ])
    .where("l.tenant_id", "=", tenantId)
    .where("l.member_id", "=", memberId)
    .groupBy("l.kind");
}

export function lotTotalsOf(
  rows: readonly { kind: string; posted: string | null; available: string | null }[],
): LotTotals {
  const of = (k: string, f: "posted" | "available") => Number(rows.find((r) => r.kind === k)?.[f] ?? 0);
  return {
    principal: of("principal", "posted"),
    bonus: of("bonus", "posted"),
    principalAvailable: of("principal", "available"),
    bonusAvailable: of("bonus", "available"),
  };
}
