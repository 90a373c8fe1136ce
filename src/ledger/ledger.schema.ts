import type { ColumnType, Generated } from "kysely";
import type { Json, JsonDefault, Timestamp } from "../db/schema.js";

/** Bigint columns come back as safe JS integers (see database.ts type parsers). */
type Balance = ColumnType<number, number | undefined, number>;

export interface LedgerAssetsTable {
  tenant_id: string;
  code: string;
  scale: number;
  symbol: string | null;
  name: string;
  created_at: Timestamp;
}

export interface LedgerAccountsTable {
  tenant_id: string;
  id: string;
  asset: string;
  kind: string;
  owner_module: string | null;
  owner_id: string | null;
  debits_must_not_exceed_credits: Generated<boolean>;
  credits_must_not_exceed_debits: Generated<boolean>;
  overdraft_limit: Balance;
  frozen_debits: Generated<boolean>;
  frozen_credits: Generated<boolean>;
  closed: Generated<boolean>;
  expires_at: Date | null;
  metadata: JsonDefault<Record<string, unknown>>;
  debits_posted: Balance;
  credits_posted: Balance;
  debits_pending: Balance;
  credits_pending: Balance;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type TransferKind = "posted" | "pending" | "post_pending" | "void_pending";

export interface LedgerTransfersTable {
  tenant_id: string;
  id: string;
  seq: ColumnType<number, never, never>;
  kind: TransferKind;
  debit_account_id: string;
  credit_account_id: string;
  amount: number;
  asset: string;
  code: string;
  reference_module: string | null;
  reference_id: string | null;
  memo: string | null;
  metadata: Json<Record<string, unknown>> | null;
  pending_id: string | null;
  /** A post or void: what of its hold was still pending just before it (null otherwise). */
  pending_before: number | null;
  timeout_seconds: number | null;
  timeout_at: Date | null;
  debit_balance: number;
  credit_balance: number;
  created_at: Date;
}

declare module "../db/schema.js" {
  interface DB {
    ledger_assets: LedgerAssetsTable;
    ledger_accounts: LedgerAccountsTable;
    ledger_transfers: LedgerTransfersTable;
  }
}
