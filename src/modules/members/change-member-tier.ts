import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { newId } from "../../shared/ids.js";
import { assertMemberUsable } from "./create-member.js";
import { cardDates } from "./extend-card.js";
import { resolveCard } from "./member-input.js";
import {
  existingOrgUnitPath,
  findMember,
  loadCatalog,
  type MemberRow,
  type TierChangeReason,
} from "./members.repository.js";

/**
 * Moves a member to another tier (or card plan) and records why: manual, a top-up upgrade,
 * a package. A new plan issues a new card (and its validity); a tier change within the
 * plan keeps the card's dates. Changing to the current tier changes nothing. A move onto an
 * archived plan is refused with `refuseArchived` (an operator's request), else left undone.
 */
export async function changeMemberTier(
  trx: Tx,
  ctx: RequestContext,
  memberId: string,
  input: {
    card_plan?: string | null;
    tier?: string | null;
    reason: TierChangeReason;
    reference?: string | null;
  },
  now: Date,
  options: { refuseArchived?: boolean } = {},
): Promise<{ member: MemberRow; changed: boolean }> {
  const { actor } = ctx;
  const tenantId = actor.tenantId;
  const member = assertMemberUsable(await findMember(trx, tenantId, memberId, { lock: true }));
  assertInScope(actor, await existingOrgUnitPath(trx, tenantId, member.org_unit_id), "member");
  const catalog = await loadCatalog(trx, tenantId);
  const card = resolveCard(catalog, input.card_plan, input.tier, {
    heldPlanId: member.card_plan_id,
    archived: options.refuseArchived ? "refuse" : "allow",
  });
  if (card.card_plan_id === member.card_plan_id && card.tier_id === member.tier_id) {
    return { member, changed: false };
  }
  const plan = card.card_plan_id ? catalog.plans.get(card.card_plan_id) : undefined;
  const newPlan = card.card_plan_id !== member.card_plan_id;
  // An archived plan issues no new card. A perk of a paid top-up or package that would issue
  // one is left undone rather than refusing the payment it comes with.
  if (newPlan && plan?.archived_at) return { member, changed: false };
  const dates = newPlan
    ? plan
      ? await cardDates(trx, tenantId, plan, now)
      : { card_issued_at: null, card_expires_at: null }
    : {};
  const after = await trx
    .updateTable("members")
    .set({ ...card, ...dates, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", memberId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto("member_tier_changes")
    .values({
      tenant_id: tenantId,
      id: newId("mtc"),
      member_id: memberId,
      from_plan_id: member.card_plan_id,
      from_tier_id: member.tier_id,
      to_plan_id: card.card_plan_id,
      to_tier_id: card.tier_id,
      reason: input.reason,
      reference: input.reference ?? null,
      actor_type: actor.type,
      actor_id: actor.id,
      created_at: now,
    })
    .execute();
  const code = (id: string | null, map: Map<string, { code: string }>) =>
    id ? (map.get(id)?.code ?? null) : null;
  await recordAudit(
    trx,
    ctx,
    {
      action: "member.tier_changed",
      targetType: "member",
      targetId: memberId,
      summary: {
        before: {
          card_plan: code(member.card_plan_id, catalog.plans),
          tier: code(member.tier_id, catalog.tiers),
        },
        after: { card_plan: code(card.card_plan_id, catalog.plans), tier: code(card.tier_id, catalog.tiers) },
        reason: input.reason,
      },
    },
    now,
  );
  return { member: after, changed: true };
}
