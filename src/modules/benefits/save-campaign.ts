import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { BenefitsError } from "./benefits.errors.js";
import {
  type CampaignKind,
  type CampaignRow,
  findCampaign,
  promotionalLinks,
} from "./campaigns.repository.js";

export interface NewCampaign {
  name: string;
  kind: CampaignKind;
  member_exclusive: boolean;
}

/** Registers a campaign benefits can link to. */
export async function createCampaign(
  trx: Tx,
  ctx: RequestContext,
  input: NewCampaign,
  now: Date,
): Promise<CampaignRow> {
  const row = await trx
    .insertInto("benefit_campaigns")
    .values({
      tenant_id: ctx.actor.tenantId,
      id: newId("cmp"),
      ...input,
      created_by: ctx.actor.id,
      updated_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "benefit_campaign.created",
      targetType: "benefit_campaign",
      targetId: row.id,
      summary: { after: input },
    },
    now,
  );
  return row;
}

const FIELDS = ["name", "member_exclusive"] as const;

/**
 * Renames a campaign or changes its member-exclusive flag (its kind stays). The flag is not
 * cleared while an active promotional benefit links the campaign: that benefit would then
 * link what it may not.
 */
export async function updateCampaign(
  trx: Tx,
  ctx: RequestContext,
  id: string,
  changes: { name?: string; member_exclusive?: boolean },
  now: Date,
): Promise<CampaignRow> {
  const tenantId = ctx.actor.tenantId;
  const before = await findCampaign(trx, tenantId, id, "update");
  if (changes.member_exclusive === false && before.member_exclusive) {
    const linked = await promotionalLinks(trx, tenantId, id);
    if (linked.length > 0) {
      throw new BenefitsError(
        "campaign_in_use",
        `Active promotional benefits link this campaign (${linked.join(", ")}): deactivate them or link another campaign first`,
        { extra: { benefit_ids: linked } },
      );
    }
  }
  const after = await trx
    .updateTable("benefit_campaigns")
    .set({ ...changes, updated_by: ctx.actor.id, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "benefit_campaign.updated",
      targetType: "benefit_campaign",
      targetId: id,
      summary: changeSummary(before, after, FIELDS),
    },
    now,
  );
  return after;
}
