import type { Tx } from "../../db/database.js";
import type { BenefitKind } from "./benefit-types.js";
import { BenefitsError } from "./benefits.errors.js";
import { findCampaign } from "./campaigns.repository.js";

/**
 * A marketing or promotional benefit names a campaign of the registry, of its own kind; a
 * promotional one only a campaign flagged member-exclusive (seed 001 §2.1: "check the
 * Member-Exclusive Benefit option … to enable association here").
 */
export async function assertCampaignLink(
  trx: Tx,
  tenantId: string,
  kind: BenefitKind,
  config: unknown,
): Promise<void> {
  if (kind !== "marketing" && kind !== "promotional") return;
  const id = (config as { campaign_id: string }).campaign_id;
  // Shared lock: the campaign's flag cannot be cleared until this link commits.
  const campaign = await findCampaign(trx, tenantId, id, "share");
  if (campaign.kind !== kind) {
    throw new BenefitsError(
      "campaign_kind_mismatch",
      `Campaign ${id} is a ${campaign.kind} campaign; a ${kind} benefit links a ${kind} campaign`,
      { errors: [{ field: "/body/config/campaign_id", message: `is a ${campaign.kind} campaign` }] },
    );
  }
  if (kind === "promotional" && !campaign.member_exclusive) {
    throw new BenefitsError(
      "campaign_not_member_exclusive",
      `Campaign ${id} is not member-exclusive: check the Member-Exclusive Benefit option of the campaign to enable association here`,
      { errors: [{ field: "/body/config/campaign_id", message: "is not a member-exclusive campaign" }] },
    );
  }
}
