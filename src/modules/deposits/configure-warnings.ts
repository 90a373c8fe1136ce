import type { UnitOfWork } from "../../ledger/index.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { formatMinor } from "../../shared/money.js";
import { recheckBreaker } from "./check-account.js";
import { statusAfterConfiguration, validateContacts } from "./deposit-rules.js";
import { DepositsError } from "./deposits.errors.js";
import { loadAccount, loadSettings, thresholdMinimum } from "./deposits.repository.js";

export interface WarningSettings {
  accountId: string;
  warningValue: number;
  emails: string[];
  phones: string[];
  /**
   * The merchant's own suspension (breaker) amount: `null` goes back to the platform's (or
   * finance's) amount, `undefined` keeps the current one.
   */
  suspensionThreshold?: number | null;
}

/**
 * The merchant sets its balance warning value and its contacts (up to 3 emails and 3 mobile
 * numbers; the opener's in-app inbox is always included), and may set its own suspension
 * amount: never below the minimum (the platform's 1,000.00 by default, or what finance set for
 * this merchant), refused with `suspension_threshold_below_minimum`. The breaker is re-checked
 * at once with the new amount. The first configuration moves the account to `pending_activation`.
 */
export async function configureWarnings(
  uow: UnitOfWork,
  context: RequestContext,
  input: WarningSettings,
  now: Date,
) {
  const { trx } = uow;
  validateContacts(input.emails, input.phones);
  if (input.emails.length + input.phones.length === 0) {
    throw new DepositsError(
      "validation_failed",
      "Give at least one email address or mobile number for warnings",
    );
  }
  const before = await loadAccount(trx, context.actor, input.accountId, { lock: true });
  if (before.status === "closed") throw new DepositsError("account_closed", "The deposit account is closed");
  const settings = await loadSettings(trx, before.tenant_id, now);
  const minimum = thresholdMinimum(before, settings);
  if (input.suspensionThreshold != null && input.suspensionThreshold < minimum) {
    throw new DepositsError(
      "suspension_threshold_below_minimum",
      `The suspension amount is at least ${formatMinor(minimum, 2)}`,
      { extra: { minimum } },
    );
  }
  const account = await trx
    .updateTable("deposit_accounts")
    .set({
      warning_value: input.warningValue,
      warning_emails: JSON.stringify(input.emails),
      warning_phones: JSON.stringify(input.phones),
      ...(input.suspensionThreshold !== undefined ? { merchant_threshold: input.suspensionThreshold } : {}),
      status: statusAfterConfiguration(before.status),
      configured_at: before.configured_at ?? now,
      updated_at: now,
    })
    .where("tenant_id", "=", before.tenant_id)
    .where("id", "=", before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_account.warnings_configured",
      targetType: "deposit_account",
      targetId: before.id,
      summary: changeSummary(before, account, [
        "warning_value",
        "warning_emails",
        "warning_phones",
        "merchant_threshold",
        "status",
      ]),
    },
    now,
  );
  // A new amount takes effect at once: suspend or resume now, not at the next re-check.
  const notices = await recheckBreaker(trx, uow, account, settings, now);
  return { account, settings, notices };
}
