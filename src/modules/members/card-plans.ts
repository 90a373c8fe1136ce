import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { MembersError } from "./members.errors.js";
import {
  CATALOG_LIMITS,
  type CardPlanRow,
  type CardTierRow,
  countCatalogRows,
  uniqueViolation,
} from "./members.repository.js";

export interface TierInput {
  code: string;
  name: string;
  /** Higher is better: Silver 1 < Gold 2 < Platinum 3. */
  rank: number;
}

export interface CardPlanInput {
  code: string;
  name: string;
  validity: { kind: "permanent" } | { kind: "relative"; days: number };
  tiers: TierInput[];
}

/** Plans, tiers, groups and tags are the whole tenant's: staff bound to an org unit change none. */
export function assertTenantWide(ctx: RequestContext) {
  if (ctx.actor.orgUnitId) {
    throw new MembersError("forbidden", "Only tenant-wide staff manage card plans, groups and tags");
  }
}

async function insertTiers(trx: Tx, tenantId: string, planId: string, tiers: TierInput[], now: Date) {
  const ranks = new Set(tiers.map((t) => t.rank));
  if (ranks.size !== tiers.length) throw new MembersError("tier_rank_taken", "Two tiers share a rank");
  if (tiers.length === 0) return [];
  try {
    return await trx
      .insertInto("card_tiers")
      .values(
        tiers.map((t) => ({
          tenant_id: tenantId,
          id: newId("tier"),
          card_plan_id: planId,
          code: t.code,
          name: t.name,
          rank: t.rank,
          created_at: now,
          updated_at: now,
        })),
      )
      .returningAll()
      .execute();
  } catch (error) {
    throw uniqueViolation(error) ?? error;
  }
}

/** Creates a card plan with its ordered tiers in one step. */
export async function createCardPlan(
  trx: Tx,
  ctx: RequestContext,
  input: CardPlanInput,
  now: Date,
): Promise<{ plan: CardPlanRow; tiers: CardTierRow[] }> {
  assertTenantWide(ctx);
  const tenantId = ctx.actor.tenantId;
  if ((await countCatalogRows(trx, tenantId, "card_plans")) >= CATALOG_LIMITS.plans) {
    throw new MembersError("limit_exceeded", `A tenant has at most ${CATALOG_LIMITS.plans} card plans`);
  }
  let plan: CardPlanRow;
  try {
    plan = await trx
      .insertInto("card_plans")
      .values({
        tenant_id: tenantId,
        id: newId("cplan"),
        code: input.code,
        name: input.name,
        validity_kind: input.validity.kind,
        validity_days: input.validity.kind === "relative" ? input.validity.days : null,
        archived_at: null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw uniqueViolation(error) ?? error;
  }
  const tiers = await insertTiers(trx, tenantId, plan.id, input.tiers, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "card_plan.created",
      targetType: "card_plan",
      targetId: plan.id,
      summary: {
        after: { code: input.code, validity: input.validity, tiers: input.tiers.map((t) => t.code) },
      },
    },
    now,
  );
  return { plan, tiers };
}

/**
 * Renames a plan, changes its validity (cards issued from now on), archives it, or adds
 * tiers. Existing cards keep their dates; tiers are never removed (members may hold them).
 */
export async function updateCardPlan(
  trx: Tx,
  ctx: RequestContext,
  planId: string,
  input: {
    name?: string;
    validity?: CardPlanInput["validity"];
    archived?: boolean;
    add_tiers?: TierInput[];
    rename_tiers?: { code: string; name: string }[];
  },
  now: Date,
): Promise<{ plan: CardPlanRow; tiers: CardTierRow[] }> {
  assertTenantWide(ctx);
  const tenantId = ctx.actor.tenantId;
  const before = await trx
    .selectFrom("card_plans")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", planId)
    .forUpdate()
    .executeTakeFirst();
  if (!before) throw new MembersError("card_plan_not_found", "Card plan not found");
  const set: Partial<CardPlanRow> = { updated_at: now };
  if (input.name !== undefined) set.name = input.name;
  if (input.validity !== undefined) {
    set.validity_kind = input.validity.kind;
    set.validity_days = input.validity.kind === "relative" ? input.validity.days : null;
  }
  if (input.archived !== undefined) set.archived_at = input.archived ? (before.archived_at ?? now) : null;
  const plan = await trx
    .updateTable("card_plans")
    .set(set)
    .where("tenant_id", "=", tenantId)
    .where("id", "=", planId)
    .returningAll()
    .executeTakeFirstOrThrow();
  const existing = await trx
    .selectFrom("card_tiers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("card_plan_id", "=", planId)
    .execute();
  const adding = input.add_tiers ?? [];
  if (existing.length + adding.length > CATALOG_LIMITS.tiersPerPlan) {
    throw new MembersError("limit_exceeded", `A card plan has at most ${CATALOG_LIMITS.tiersPerPlan} tiers`);
  }
  const taken = new Set(existing.map((t) => t.rank));
  if (adding.some((t) => taken.has(t.rank))) {
    throw new MembersError("tier_rank_taken", "The card plan already has a tier with this rank");
  }
  await insertTiers(trx, tenantId, planId, adding, now);
  for (const rename of input.rename_tiers ?? []) {
    const done = await trx
      .updateTable("card_tiers")
      .set({ name: rename.name, updated_at: now })
      .where("tenant_id", "=", tenantId)
      .where("card_plan_id", "=", planId)
      .where("code", "=", rename.code)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) {
      throw new MembersError("card_tier_not_found", `Card plan has no tier ${rename.code}`);
    }
  }
  const tiers = await trx
    .selectFrom("card_tiers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("card_plan_id", "=", planId)
    .orderBy("rank")
    .execute();
  await recordAudit(
    trx,
    ctx,
    {
      action: "card_plan.updated",
      targetType: "card_plan",
      targetId: planId,
      summary: {
        ...changeSummary(before, plan, ["name", "validity_kind", "validity_days", "archived_at"]),
        added_tiers: adding.map((t) => t.code),
      },
    },
    now,
  );
  return { plan, tiers };
}
