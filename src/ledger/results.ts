import { DomainError } from "../shared/errors.js";
import type { AccountInput, LedgerOps, Transfer, TransferErrorCode, TransferResult } from "./types.js";

/**
 * Balances are integers below 2^53. A transfer that would push one past it is the caller's
 * amount being too large for what the account already holds, never a broken invariant.
 */
function tooLarge(detail: string): DomainError {
  return new DomainError("amount_out_of_range", `${detail}; the amount is too large for this account`);
}

/** What a module answers instead of a ledger refusal it expects (e.g. `insufficient_funds`). */
export type Refusals = Partial<Record<TransferErrorCode, () => Error>>;

/**
 * Refusals that follow from an account's own state, which finance may change under a module
 * through the ledger's API (freezing or closing a module's account directly): the request
 * meets an account that cannot move, as a refusal with the ledger's code, not a broken invariant.
 */
const ACCOUNT_STATE_REFUSALS: ReadonlySet<TransferErrorCode> = new Set([
  "account_frozen",
  "account_closed",
  "account_expired",
]);

/**
 * A transfer the operation has already made sure can succeed (it locked what it read): a
 * refusal is a broken invariant (a 500), except the codes the caller maps to its own errors
 * and an account's frozen, closed or expired state.
 */
export function expectTransfer(result: TransferResult, refusals: Refusals = {}): Transfer {
  if (result.ok) return result.transfer;
  const mapped = refusals[result.code];
  if (mapped) throw mapped();
  if (result.code === "overflow") throw tooLarge(result.detail);
  if (ACCOUNT_STATE_REFUSALS.has(result.code)) throw new DomainError(result.code, result.detail);
  throw new Error(`ledger refused a transfer: ${result.code} ${result.detail}`);
}

/** Linked transfers: the failure that caused the others (not their `linked_transfer_failed`). */
export function expectTransfers(results: TransferResult[], refusals: Refusals = {}): Transfer[] {
  const failed =
    results.find((r) => !r.ok && r.code !== "linked_transfer_failed") ?? results.find((r) => !r.ok);
  if (failed) expectTransfer(failed, refusals);
  return results.map((r) => expectTransfer(r));
}

/**
 * Opens an account (or finds the same one again: account creation is idempotent by id) and
 * returns its id. An asset the tenant has not set up is the caller's refusal; any other
 * refusal is a broken invariant.
 */
export async function openAccount(
  ops: Pick<LedgerOps, "createAccount">,
  input: AccountInput,
  assetMissing?: () => Error,
): Promise<string> {
  const result = await ops.createAccount(input);
  if (result.ok) return result.account.id;
  if (result.code === "asset_not_found" && assetMissing) throw assetMissing();
  throw new Error(`ledger refused account ${input.id}: ${result.code} ${result.detail}`);
}
