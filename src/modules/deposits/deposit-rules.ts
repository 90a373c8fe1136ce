import { DateTime } from "luxon";
import { DepositsError } from "./deposits.errors.js";
import type { AccountStatus, CampaignStatus } from "./deposits.repository.js";

/** Seed 003's numbers; the tenant-adjustable ones are defaults of `deposit_settings`. */
export const MAX_WARNING_EMAILS = 3;
export const MAX_WARNING_PHONES = 3;
export const MAX_MAIL_ADDRESSES = 3;
/** The breaker and warnings are re-checked on this schedule (and at once after every change of available). */
export const RECHECK_EVERY_MINUTES = 20;

/**
 * The circuit breaker: trips when available drops strictly below the threshold, resets only
 * when available is strictly above it again (equal to the threshold keeps the current state).
 */
export function breakerDecision(input: {
  tripped: boolean;
  available: number;
  threshold: number;
}): "suspend" | "resume" | "none" {
  if (!input.tripped && input.available < input.threshold) return "suspend";
  if (input.tripped && input.available > input.threshold) return "resume";
  return "none";
}

/**
 * Seed 003: an invoice needs a net amount strictly greater than the tenant's
 * `invoice_min_net_amount` ("金額大於…100元": exactly 100.00 is refused).
 */
export function invoiceNetAllowed(net: number, minNetAmount: number): boolean {
  return net > minNetAmount;
}

/** A warning is due while available is strictly below the merchant's warning value. */
export function warningDue(available: number, warningValue: number | null): boolean {
  return warningValue !== null && available < warningValue;
}

/** What a campaign's status is at `now` when nothing suspends it. */
export function scheduledStatus(campaign: { starts_at: Date; ends_at: Date }, now: Date): CampaignStatus {
  if (campaign.ends_at.getTime() <= now.getTime()) return "ended";
  if (campaign.starts_at.getTime() > now.getTime()) return "not_started";
  return "running";
}

/** A cost freezes what is available; the rest becomes arrears owed to the platform. */
export function freezeSplit(cost: number, available: number): { frozen: number; arrears: number } {
  const frozen = Math.min(cost, Math.max(available, 0));
  return { frozen, arrears: cost - frozen };
}

/** A top-up pays off arrears first; the rest becomes available. */
export function topupSplit(amount: number, arrears: number): { repay: number; available: number } {
  const repay = Math.min(amount, Math.max(arrears, 0));
  return { repay, available: amount - repay };
}

/** A release before receipt cancels the order's unpaid arrears first, then unfreezes. */
export function releaseSplit(
  amount: number,
  order: { frozen: number; arrears: number },
): { arrears: number; frozen: number } {
  const arrears = Math.min(amount, order.arrears);
  return { arrears, frozen: amount - arrears };
}

/** The status an account has once its prerequisites are met (opened, configured, funded). */
export function statusAfterConfiguration(status: AccountStatus): AccountStatus {
  return status === "pending_configuration" ? "pending_activation" : status;
}

/** Why a merchant may not join or create a campaign (seed: not opened, abnormal, arrears). */
export function assertCanRunCampaigns(account: { status: AccountStatus } | undefined, arrears: number): void {
  if (!account) throw new DepositsError("deposit_account_not_found", "The merchant has no deposit account");
  if (account.status === "abnormal")
    throw new DepositsError("account_abnormal", "The deposit account is abnormal; contact the platform");
  if (account.status === "closed") throw new DepositsError("account_closed", "The deposit account is closed");
  if (account.status !== "active") {
    throw new DepositsError(
      "account_not_active",
      "The deposit account is not active yet: configure warnings and make the first top-up",
    );
  }
  if (arrears > 0) {
    throw new DepositsError(
      "account_in_arrears",
      "The deposit account has arrears; top up before joining campaigns",
    );
  }
}

/** Invoice candidates: net = settled − settled refunds; allowed only at or above the minimum. */
export function invoiceTotals(entries: { type: string; amount: number }[]): {
  settled: number;
  refunded: number;
  net: number;
} {
  let settled = 0;
  let refunded = 0;
  for (const e of entries) {
    if (e.type === "settle") settled += e.amount;
    else if (e.type === "settled_refund") refunded += e.amount;
  }
  return { settled, refunded, net: settled - refunded };
}

/**
 * A settlement may be invoiced once it is at least `waitDays` calendar days old in the
 * tenant's zone: settled at or before this instant.
 */
export function invoiceCutoff(now: Date, waitDays: number, zone: string): Date {
  return DateTime.fromJSDate(now, { zone }).minus({ days: waitDays }).toJSDate();
}

/** Contacts: at most 3 emails and 3 mobile numbers, no duplicates. */
export function validateContacts(emails: string[], phones: string[]): void {
  if (emails.length > MAX_WARNING_EMAILS || phones.length > MAX_WARNING_PHONES) {
    throw new DepositsError(
      "too_many_contacts",
      `At most ${MAX_WARNING_EMAILS} email addresses and ${MAX_WARNING_PHONES} mobile numbers`,
    );
  }
  if (
    new Set(emails.map((e) => e.toLowerCase())).size !== emails.length ||
    new Set(phones).size !== phones.length
  ) {
    throw new DepositsError("validation_failed", "Contacts must not repeat");
  }
}

/** Bank names are compared trimmed, with inner whitespace collapsed; otherwise exactly. */
export function sameCompanyName(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, " ");
  return norm(a) === norm(b);
}
