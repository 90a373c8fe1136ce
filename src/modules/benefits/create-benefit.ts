import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { assertIconExists } from "./benefit-icons.js";
import { assertActiveRoom, validateAudiences, validateBenefit, validateLinks } from "./benefit-rules.js";
import type { AudienceRule, BenefitKind, BenefitStatus } from "./benefit-types.js";
import { emitBenefitChanged } from "./benefits.events.js";
import { type BenefitRow, bumpCatalogVersion, countActiveBenefits } from "./benefits.repository.js";
import { assertDetailImages } from "./detail-images.js";

export interface NewBenefit {
  kind: BenefitKind;
  name: string;
  brief: string | null;
  description: string | null;
  icon: string | null;
  audience: AudienceRule;
  config: unknown;
  stackable: boolean;
  status: BenefitStatus;
}

/** Creates a benefit; the catalog version moves in the same transaction. */
export async function createBenefit(
  trx: Tx,
  context: RequestContext,
  input: NewBenefit,
  now: Date,
): Promise<BenefitRow> {
  const config = validateBenefit(input.kind, input.config, input.audience);
  const tenantId = context.actor.tenantId;
  await validateAudiences(trx, tenantId, input.audience, config);
  await validateLinks(trx, tenantId, input.kind, input.audience, config);
  await assertIconExists(trx, tenantId, input.icon);
  await assertDetailImages(trx, tenantId, input.kind, config);
  if (input.status === "active") {
    // The version row serialises concurrent creations, so the count cannot be raced past.
    await bumpCatalogVersion(trx, tenantId);
    assertActiveRoom(await countActiveBenefits(trx, tenantId));
  }
  const row = (await trx
    .insertInto("benefits")
    .values({
      tenant_id: tenantId,
      id: newId("bnf"),
      kind: input.kind,
      name: input.name,
      brief: input.brief,
      description: input.description,
      icon: input.icon,
      audience: JSON.stringify(input.audience),
      config: JSON.stringify(config),
      stackable: input.stackable,
      status: input.status,
      version: 1,
      created_by: context.actor.id,
      updated_by: context.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as BenefitRow;
  if (input.status !== "active") await bumpCatalogVersion(trx, tenantId);
  await recordAudit(
    trx,
    context,
    {
      action: "benefit.created",
      targetType: "benefit",
      targetId: row.id,
      summary: { after: { kind: row.kind, name: row.name, status: row.status } },
    },
    now,
  );
  await emitBenefitChanged(trx, row, "created", now);
  return row;
}
