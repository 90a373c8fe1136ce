import { DateTime } from "luxon";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { MembersError } from "./members.errors.js";
import { type CardPlanRow, findMember, type MemberRow } from "./members.repository.js";

/**
 * `days` calendar days after `from` in the tenant's zone, at the same wall-clock time: a day
 * across a daylight-saving change is 23 or 25 hours, as a package period's or a student
 * approval's is, so a card never ends an hour before or after the time it was issued.
 */
export function calendarDaysAfter(from: Date, days: number, zone: string): Date {
  return DateTime.fromJSDate(from, { zone }).plus({ days }).toJSDate();
}

/**
 * Issue and expiry of a card of `plan` issued at `now` (permanent cards never expire); a
 * relative plan's card expires `validity_days` calendar days later in the tenant's zone, read
 * only then unless the caller has it (`zone`: an import reads it once for all its rows).
 */
export async function cardDates(
  trx: Tx,
  tenantId: string,
  plan: Pick<CardPlanRow, "validity_kind" | "validity_days">,
  now: Date,
  zone?: string,
) {
  const days = plan.validity_kind === "relative" ? plan.validity_days : null;
  return {
    card_issued_at: now,
    card_expires_at: days ? calendarDaysAfter(now, days, zone ?? (await tenantZone(trx, tenantId))) : null,
  };
}

export const MAX_EXTENSION_DAYS = 36_600;

/**
 * Extends a member's card by `days` calendar days in the tenant's `zone` (card-extension
 * benefits). A permanent card stays permanent; an expired card is extended from now, a valid
 * one from its expiry.
 */
export async function extendCard(
  trx: Tx,
  ctx: RequestContext,
  memberId: string,
  days: number,
  now: Date,
  zone: string,
): Promise<MemberRow> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_EXTENSION_DAYS) {
    throw new MembersError("validation_failed", `days must be an integer 1-${MAX_EXTENSION_DAYS}`);
  }
  const tenantId = ctx.actor.tenantId;
  const member = await findMember(trx, tenantId, memberId, { lock: true });
  if (!member) throw new MembersError("member_not_found", "Member not found");
  if (!member.card_plan_id) throw new MembersError("member_has_no_card", "The member has no card to extend");
  if (member.card_expires_at === null) return member;
  const from = member.card_expires_at > now ? member.card_expires_at : now;
  const expires = calendarDaysAfter(from, days, zone);
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
