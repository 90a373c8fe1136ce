/** The ledger's public surface: modules import only this file. */
export { balancesOf } from "./engine.js";
export { voidExpiredHolds } from "./holds.js";
export { Ledger, type LedgerOptions, type RunOptions } from "./ledger.js";
export type { LedgerAccountsTable, LedgerTransfersTable, TransferKind } from "./ledger.schema.js";
export {
  createAsset,
  findAccount,
  findTransfer,
  holdState,
  listAccounts,
  listAssets,
  listTransfers,
  statement,
  trialBalance,
  verifyLedger,
} from "./queries.js";
export * from "./types.js";
