import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { MembersError } from "./members.errors.js";
import { type CardPlanRow, findMember, type MemberRow } from "./members.repository.js";

const DAY_MS = 86_400_000;

/** Issue and expiry of a card of `plan` issued at `now` (permanent cards never expire). */
export function cardDates(plan: Pick<CardPlanRow, "validity_kind" | "validity_days">, now: Date) {
  return {
    card_issued_at: now,
    card_expires_at:
      plan.validity_kind === "relative" && plan.validity_days
        ? new Date(now.getTime() + plan.validity_days * DAY_MS)
        : null,
  };
}

export const MAX_EXTENSION_DAYS = 36_600;

/**
 * Extends a member's card by `days` (card-extension benefits). A permanent card stays
 * permanent; an expired card is extended from now, a valid one from its expiry.
 */
export async function extendCard(
  trx: Tx,
  ctx: RequestContext,
  memberId: string,
  days: number,
  now: Date,
): Promise<MemberRow> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_EXTENSION_DAYS) {
    throw new MembersError("validation_failed", `days must be an integer 1-${MAX_EXTENSION_DAYS}`);
  }
  const tenantId = ctx.actor.tenantId;
  const member = await findMember(trx, tenantId, memberId, { lock: true });
  if (!member) throw new MembersError("member_not_found", "Member not found");
  if (!member.card_plan_id) throw new MembersError("member_has_no_card", "The member has no card to extend");
  if (member.card_expires_at === null) return member;
  const from = Math.max(member.card_expires_at.getTime(), now.getTime());
  const expires = new Date(from + days * DAY_MS);
  const row = await trx
    .updateTable("members")
    .set({ card_expires_at: expires, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", memberId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "member.card_extended",
      targetType: "member",
      targetId: memberId,
      summary: {
        before: { card_expires_at: member.card_expires_at },
        after: { card_expires_at: expires },
        days,
      },
    },
    now,
  );
  return row;
}
