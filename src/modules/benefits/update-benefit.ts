import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertIconExists } from "./benefit-icons.js";
import { assertActiveRoom, validateAudiences, validateBenefit, validateLinks } from "./benefit-rules.js";
import type { AudienceRule, BenefitStatus } from "./benefit-types.js";
import { emitBenefitChanged } from "./benefits.events.js";
import {
  type BenefitRow,
  bumpCatalogVersion,
  countActiveBenefits,
  lockBenefit,
} from "./benefits.repository.js";
import { assertCampaignLink } from "./campaign-link.js";
import { assertDetailImages } from "./detail-images.js";

export interface BenefitChanges {
  name?: string;
  brief?: string | null;
  description?: string | null;
  icon?: string | null;
  audience?: AudienceRule;
  config?: unknown;
  stackable?: boolean;
}

const FIELDS = ["name", "brief", "description", "icon", "audience", "config", "stackable", "status"] as const;

async function save(
  trx: Tx,
  context: RequestContext,
  before: BenefitRow,
  set: Partial<Pick<BenefitRow, (typeof FIELDS)[number]>>,
  action: string,
  now: Date,
): Promise<BenefitRow> {
  const after = (await trx
    .updateTable("benefits")
    .set({
      ...set,
      ...(set.audience ? { audience: JSON.stringify(set.audience) } : {}),
      ...(set.config ? { config: JSON.stringify(set.config) } : {}),
      version: before.version + 1,
      updated_by: context.actor.id,
      updated_at: now,
    })
    .where("tenant_id", "=", before.tenant_id)
    .where("id", "=", before.id)
    .returningAll()
    .executeTakeFirstOrThrow()) as BenefitRow;
  await bumpCatalogVersion(trx, before.tenant_id);
  await recordAudit(
    trx,
    context,
    { action, targetType: "benefit", targetId: before.id, summary: changeSummary(before, after, FIELDS) },
    now,
  );
  const change = action.slice("benefit.".length) as "updated" | "activated" | "deactivated";
  await emitBenefitChanged(trx, after, change, now);
  return after;
}

/** Edits a benefit's fields (its kind never changes); a quote in flight re-checks at complete. */
export async function updateBenefit(
  trx: Tx,
  context: RequestContext,
  id: string,
  changes: BenefitChanges,
  now: Date,
): Promise<BenefitRow> {
  const before = await lockBenefit(trx, context.actor.tenantId, id);
  const audience = changes.audience ?? before.audience;
  const config = validateBenefit(before.kind, changes.config ?? before.config, audience);
  await validateAudiences(trx, before.tenant_id, audience, config);
  await validateLinks(trx, before.tenant_id, before.kind, audience, config);
  if (changes.icon !== undefined) await assertIconExists(trx, before.tenant_id, changes.icon);
  // Only a new config is checked: an edit of the name does not fail on entries saved before uploads.
  if (changes.config !== undefined) await assertDetailImages(trx, before.tenant_id, before.kind, config);
  return save(
    trx,
    context,
    before,
    { ...changes, audience, config } as Partial<BenefitRow>,
    "benefit.updated",
    now,
  );
}

/** Activates or deactivates; deactivation takes effect for the next quote and complete. */
export async function setBenefitStatus(
  trx: Tx,
  context: RequestContext,
  id: string,
  status: BenefitStatus,
  now: Date,
): Promise<BenefitRow> {
  const before = await lockBenefit(trx, context.actor.tenantId, id);
  if (before.status === status) return before;
  if (status === "active") {
    await bumpCatalogVersion(trx, before.tenant_id);
    assertActiveRoom(await countActiveBenefits(trx, before.tenant_id));
    // An inactive promotional benefit does not hold its campaign's member-exclusive flag, so
    // the flag may have been cleared since: activating links it again and checks it again.
    await assertCampaignLink(trx, before.tenant_id, before.kind, before.config);
  }
  return save(
    trx,
    context,
    before,
    { status },
    status === "active" ? "benefit.activated" : "benefit.deactivated",
    now,
  );
}
