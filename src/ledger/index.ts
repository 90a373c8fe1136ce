/** The ledger's public surface: modules import only this file. */
export { defaultScale, ensureAsset, ensureCurrencyAsset } from "./currencies.js";
export { balancesOf } from "./engine.js";
export { LEDGER_HOLD_EXPIRY_JOB, voidExpiredHolds } from "./holds.js";
export { Ledger, type LedgerOptions, ledgerWithin, type RunOptions, unitOver } from "./ledger.js";
export { ledgerManifest } from "./ledger.routes.js";
export type { LedgerAccountsTable, LedgerTransfersTable, TransferKind } from "./ledger.schema.js";
export {
  countTransfers,
  createAsset,
  findAccount,
  findAccounts,
  findAsset,
  findTransfer,
  holdState,
  listAccounts,
  listAssets,
  listTransfers,
  statement,
  trialBalance,
  verifyLedger,
  verifyTenants,
} from "./queries.js";
export { expectTransfer, expectTransfers, openAccount, type Refusals } from "./results.js";
export * from "./types.js";
