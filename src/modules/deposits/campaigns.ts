import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { announceStarts } from "./check-account.js";
import { assertCanRunCampaigns, scheduledStatus } from "./deposit-rules.js";
import { DepositsError } from "./deposits.errors.js";
import { depositBalances, type LedgerOps } from "./deposits.ledger.js";
import type { PendingNotice } from "./deposits.notices.js";
import { type CampaignRow, merchantInScope } from "./deposits.repository.js";

export interface CampaignInput {
  merchantId: string;
  name: string;
  startsAt: Date;
  endsAt: Date;
}

/**
 * A merchant creates or joins a campaign: refused with a clear code when the merchant has no
 * deposit account, it is not active, abnormal, or in arrears. A campaign created while the
 * breaker is tripped starts suspended (and resumes with the others). One that runs from its
 * creation is announced as started.
 */
export async function createCampaign(
  trx: Tx,
  ops: LedgerOps,
  context: RequestContext,
  input: CampaignInput,
  now: Date,
): Promise<{ campaign: CampaignRow; notices: PendingNotice[] }> {
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    throw new DepositsError("invalid_campaign_period", "A campaign ends after it starts");
  }
  const merchant = await merchantInScope(trx, context.actor, input.merchantId);
  const account = await trx
    .selectFrom("deposit_accounts")
    .selectAll()
    .where("tenant_id", "=", context.actor.tenantId)
    .where("merchant_id", "=", merchant.id)
    .forUpdate()
    .executeTakeFirst();
  const balances = account ? await depositBalances(ops, account) : undefined;
  assertCanRunCampaigns(account, balances?.arrears ?? 0);
  const status = scheduledStatus({ starts_at: input.startsAt, ends_at: input.endsAt }, now);
  const held = account!.breaker_tripped && status !== "ended";
  const campaign = await trx
    .insertInto("deposit_campaigns")
    .values({
      tenant_id: context.actor.tenantId,
      id: newId("dcp"),
      account_id: account!.id,
      merchant_id: merchant.id,
      name: input.name,
      starts_at: input.startsAt,
      ends_at: input.endsAt,
      status: held ? "suspended" : status,
      suspended_by_breaker: held,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_campaign.created",
      targetType: "deposit_campaign",
      targetId: campaign.id,
      summary: { name: input.name, merchant_id: merchant.id, status: campaign.status },
    },
    now,
  );
  // A campaign that runs from its creation starts now: announced at once.
  const notices = await announceStarts(trx, account!, balances!.available, now);
  return { campaign: { ...campaign, started_at: notices.length > 0 ? now : null }, notices };
}
