import type { Insertable, Selectable } from "kysely";
import type { Tx } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { LedgerAccountsTable, LedgerTransfersTable } from "./ledger.schema.js";

/** Batch limit of the transfer endpoint and of one group-commit batch (TigerBeetle's 8,190). */
export const MAX_BATCH_TRANSFERS = 8190;
export const MAX_METADATA_BYTES = 4096;
/** Client-chosen ids (transfers, accounts): the same shape as path parameters. */
export const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_TIMEOUT_SECONDS = 366 * 86_400;

export interface Asset {
  code: string;
  scale: number;
  symbol: string | null;
  name: string;
  created_at: Date;
}

/** An account as stored: flags, limits and the four balances (see ledger.schema.ts). */
export type Account = Omit<Selectable<LedgerAccountsTable>, "tenant_id">;

/**
 * A transfer as stored. For a post, `amount` is the amount posted; for a void, the amount
 * released; `pending_before` is what of the hold was still pending just before either.
 * `debit_balance` / `credit_balance`: each account's posted net (credits − debits) right
 * after this transfer.
 */
export type Transfer = Omit<Selectable<LedgerTransfersTable>, "tenant_id" | "seq">;

export interface AccountInput {
  id?: string;
  asset: string;
  kind: string;
  owner_module?: string | null;
  owner_id?: string | null;
  debits_must_not_exceed_credits?: boolean;
  credits_must_not_exceed_debits?: boolean;
  overdraft_limit?: number;
  frozen_debits?: boolean;
  frozen_credits?: boolean;
  expires_at?: Date | null;
  metadata?: Record<string, unknown>;
}

export interface AccountUpdate {
  frozen_debits?: boolean;
  frozen_credits?: boolean;
  /** Closing is final: no transfer touches a closed account again. */
  closed?: true;
  expires_at?: Date | null;
  overdraft_limit?: number;
}

export interface TransferInput {
  /** Client-chosen id makes the transfer idempotent; otherwise `tr_…` is generated. */
  id?: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: number;
  /** Defaults to the accounts' asset; when given it must equal both. */
  asset?: string;
  /** The reason, e.g. `topup`, `payment`, `refund`. Defaults to `transfer`. */
  code?: string;
  reference_module?: string | null;
  reference_id?: string | null;
  memo?: string | null;
  metadata?: Record<string, unknown> | null;
  /** A hold: reserves the amount until posted or voided. */
  pending?: boolean;
  /** Holds only: after this long the hold voids itself (the expiry job). */
  timeout_seconds?: number | null;
}

/** One item of a batch: `linked: true` chains it with the next item (all or none). */
export interface BatchItem extends TransferInput {
  linked?: boolean;
}

export interface ResolveInput {
  id?: string;
  pending_id: string;
  /**
   * At most what is still pending; defaults to all of it. A post of part releases the rest at
   * once; a void of part leaves the rest pending (to be voided or posted later).
   */
  amount?: number;
  code?: string;
  memo?: string | null;
  metadata?: Record<string, unknown> | null;
}

export type TransferErrorCode =
  | "invalid_id"
  | "invalid_amount"
  | "invalid_timeout"
  | "metadata_too_large"
  | "accounts_must_be_different"
  | "account_not_found"
  | "asset_mismatch"
  | "account_closed"
  | "account_frozen"
  | "account_expired"
  | "insufficient_funds"
  | "credit_limit_exceeded"
  | "overflow"
  | "exists_with_different_fields"
  | "linked_transfer_failed"
  | "linked_chain_open"
  | "pending_transfer_not_found"
  | "pending_transfer_not_pending"
  | "pending_already_posted"
  | "pending_already_voided"
  | "pending_expired"
  | "exceeds_pending_amount";

export type AccountErrorCode =
  | "invalid_id"
  | "invalid_flags"
  | "invalid_amount"
  | "metadata_too_large"
  | "asset_not_found"
  | "account_not_found"
  | "account_closed"
  | "account_has_pending"
  | "exists_with_different_fields";

export type Failure<C extends string> = { ok: false; code: C; detail: string };

export type TransferResult =
  | { ok: true; code: "created" | "exists"; transfer: Transfer }
  | Failure<TransferErrorCode>;

export type AccountResult =
  | { ok: true; code: "created" | "exists" | "updated"; account: Account }
  | Failure<AccountErrorCode>;

export interface Balances {
  account_id: string;
  asset: string;
  debits_posted: number;
  credits_posted: number;
  debits_pending: number;
  credits_pending: number;
  /** Posted net on the account's normal side (credit unless credits_must_not_exceed_debits). */
  posted: number;
  /** What may still be spent: posted minus holds on the limited side (without the overdraft). */
  available: number;
}

/** The ledger operations available inside a unit of work or a plain transaction. */
export interface LedgerOps {
  createAccount(input: AccountInput): Promise<AccountResult>;
  updateAccount(id: string, update: AccountUpdate): Promise<AccountResult>;
  /** A single-phase transfer, or a hold when `pending` is set. */
  transfer(input: TransferInput): Promise<TransferResult>;
  /** Linked transfers: all succeed or none; the first failure keeps its code. */
  transfers(inputs: TransferInput[]): Promise<TransferResult[]>;
  /** Independent transfers and linked chains (`linked: true` joins an item to the next). */
  batch(items: BatchItem[]): Promise<TransferResult[]>;
  hold(input: Omit<TransferInput, "pending">): Promise<TransferResult>;
  post(input: ResolveInput): Promise<TransferResult>;
  void(input: ResolveInput): Promise<TransferResult>;
  /** Locks the account for the rest of the unit and returns its balances as the unit sees them. */
  balances(accountId: string): Promise<Balances | undefined>;
  /**
   * `balances` of many accounts, locked in one statement (in id order, like every lock), in
   * the order asked; undefined for an account that does not exist.
   */
  balancesMany(accountIds: readonly string[]): Promise<(Balances | undefined)[]>;
  /**
   * The accounts of one owner whose balances this transaction has changed but not yet written
   * (a group-commit batch writes its account rows when it commits): a query that picks
   * accounts by their stored balances adds these, or it misses money the unit can see.
   */
  unwrittenAccounts(ownerModule: string, ownerId: string): Promise<string[]>;
  /**
   * The balances without a lock, for reads that decide nothing (a quote, a GET): the unit's
   * own view when it already holds the account, else the committed row.
   */
  peekBalances(accountId: string): Promise<Balances | undefined>;
  getAccount(accountId: string): Promise<Account | undefined>;
}

/**
 * A unit of work: the transaction (tenant-scoped; in a batch, under the unit's own savepoint)
 * and the ledger. Rows appended here are written with the batch, set-based.
 */
export interface UnitOfWork extends LedgerOps {
  readonly tenantId: string;
  readonly trx: Tx;
  append<T extends keyof DB & string>(table: T, row: Insertable<DB[T]>): void;
}
