import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { newId } from "../../shared/ids.js";
import { cardDates } from "./extend-card.js";
import { type MemberInput, memberColumns, resolveCard } from "./member-input.js";
import { MembersError } from "./members.errors.js";
import {
  type Catalog,
  existingOrgUnitPath,
  loadCatalog,
  type MemberRow,
  type TierChangeReason,
  uniqueViolation,
} from "./members.repository.js";

/**
 * Registers a member. A card plan (or a tier) issues the card now: a relative plan's card
 * expires N calendar days from issue in the tenant's zone (`options.zone`, read when not given
 * and needed: an import reads it once for all its rows). The starting tier is recorded as a
 * tier change.
 */
export async function createMember(
  trx: Tx,
  ctx: RequestContext,
  input: MemberInput & { name: string; registered_at?: string },
  now: Date,
  options: { catalog?: Catalog; reason?: TierChangeReason; zone?: string } = {},
): Promise<MemberRow> {
  const { actor } = ctx;
  const tenantId = actor.tenantId;
  const catalog = options.catalog ?? (await loadCatalog(trx, tenantId));
  const columns = memberColumns(catalog, input);
  const card = resolveCard(catalog, input.card_plan, input.tier);
  const orgUnitId = input.org_unit_id ?? actor.orgUnitId;
  assertInScope(actor, await existingOrgUnitPath(trx, tenantId, orgUnitId), "org_unit");
  const plan = card.card_plan_id ? catalog.plans.get(card.card_plan_id) : undefined;
  const dates = plan
    ? await cardDates(trx, tenantId, plan, now, options.zone)
    : { card_issued_at: null, card_expires_at: null };
  const id = newId("mbr");
  let row: MemberRow;
  try {
    row = await trx
      .insertInto("members")
      .values({
        ...(columns as object),
        tenant_id: tenantId,
        id,
        name: input.name,
        student: input.student ?? false,
        status: "active",
        org_unit_id: orgUnitId,
        ...card,
        ...dates,
        registered_at: input.registered_at ? new Date(input.registered_at) : now,
        created_at: now,
        updated_at: now,
      } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw uniqueViolation(error) ?? error;
  }
  if (card.tier_id || card.card_plan_id) {
    await trx
      .insertInto("member_tier_changes")
      .values({
        tenant_id: tenantId,
        id: newId("mtc"),
        member_id: id,
        from_plan_id: null,
        from_tier_id: null,
        to_plan_id: card.card_plan_id,
        to_tier_id: card.tier_id,
        reason: options.reason ?? "registration",
        reference: null,
        actor_type: actor.type,
        actor_id: actor.id,
        created_at: now,
      })
      .execute();
  }
  await recordAudit(
    trx,
    ctx,
    { action: "member.created", targetType: "member", targetId: id, summary: { after: { name: row.name } } },
    now,
  );
  return row;
}

export function assertMemberUsable(row: MemberRow | undefined): MemberRow {
  if (!row) throw new MembersError("member_not_found", "Member not found");
  if (row.status === "closed") throw new MembersError("member_closed", "The member's account is closed");
  return row;
}
