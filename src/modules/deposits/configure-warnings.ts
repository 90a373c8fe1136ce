import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { statusAfterConfiguration, validateContacts } from "./deposit-rules.js";
import { DepositsError } from "./deposits.errors.js";
import { type AccountRow, loadAccount } from "./deposits.repository.js";

export interface WarningSettings {
  warningValue: number;
  emails: string[];
  phones: string[];
}

/**
 * Sets the balance warning value and its contacts (up to 3 emails and 3 mobile numbers; the
 * opener's in-app inbox is always included). The first configuration moves the account to
 * `pending_activation`.
 */
export async function configureWarnings(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  input: WarningSettings,
  now: Date,
): Promise<AccountRow> {
  validateContacts(input.emails, input.phones);
  if (input.emails.length + input.phones.length === 0) {
    throw new DepositsError(
      "validation_failed",
      "Give at least one email address or mobile number for warnings",
    );
  }
  const before = await loadAccount(trx, context.actor, accountId, { lock: true });
  if (before.status === "closed") throw new DepositsError("account_closed", "The deposit account is closed");
  const after = await trx
    .updateTable("deposit_accounts")
    .set({
      warning_value: input.warningValue,
      warning_emails: JSON.stringify(input.emails),
      warning_phones: JSON.stringify(input.phones),
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
      summary: changeSummary(before, after, ["warning_value", "warning_emails", "warning_phones", "status"]),
    },
    now,
  );
  return after;
}
