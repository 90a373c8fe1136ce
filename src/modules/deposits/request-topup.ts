import { randomBytes } from "node:crypto";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { DepositsError } from "./deposits.errors.js";
import {
  type AccountRow,
  loadAccount,
  loadSettings,
  type ReceivingAccount,
  type TopupRow,
} from "./deposits.repository.js";

/** Refuses value movements on accounts that are not configured, abnormal or closed. */
export function assertUsable(account: AccountRow): void {
  if (account.status === "pending_configuration")
    throw new DepositsError(
      "warnings_not_configured",
      "Configure the balance warning before using the account",
    );
  if (account.status === "abnormal")
    throw new DepositsError("account_abnormal", "The deposit account is abnormal; contact the platform");
  if (account.status === "closed") throw new DepositsError("account_closed", "The deposit account is closed");
}

/** A reference the merchant quotes on the transfer: `DT` + 10 characters, no look-alikes. */
function newReference(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(10);
  return `DT${[...bytes].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

/**
 * A top-up application: the amount the merchant will wire (at least the tenant's minimum,
 * 3,000.00 by default). The answer carries the platform's receiving account and a reference.
 */
export async function requestTopup(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  amount: number,
  now: Date,
): Promise<{ topup: TopupRow; receiving: ReceivingAccount }> {
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  assertUsable(account);
  const settings = await loadSettings(trx, account.tenant_id, now);
  if (amount < settings.min_topup_amount) {
    throw new DepositsError(
      "topup_below_minimum",
      `A top-up is at least ${settings.min_topup_amount} (minor units of ${settings.asset})`,
    );
  }
  const topup = await trx
    .insertInto("deposit_topups")
    .values({
      tenant_id: account.tenant_id,
      id: newId("dtu"),
      account_id: account.id,
      amount,
      reference: newReference(),
      status: "open",
      bank_record_id: null,
      transfer_id: null,
      created_at: now,
      completed_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_topup.requested",
      targetType: "deposit_topup",
      targetId: topup.id,
      summary: { account_id: account.id, amount },
    },
    now,
  );
  return { topup, receiving: settings.receiving_account };
}
