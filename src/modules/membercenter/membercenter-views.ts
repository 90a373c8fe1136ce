import type { Database, Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import {
  catalogOf,
  catalogQueries,
  factsOf,
  visibleMemberOf,
  visibleMemberQueries,
} from "../members/index.js";
import { memberCenterWallet, pointsLotsOf, pointsLotsQuery } from "../wallets/index.js";
import { MemberCenterError } from "./membercenter.errors.js";
import { readLook, readTenant } from "./membercenter.repository.js";

/** What the page needs before anyone signs in: whose it is and how it looks and counts. */
export async function brandingView(trx: Tx, tenantId: string, now: Date) {
  const tenant = await readTenant(trx, tenantId);
  if (!tenant) throw new MemberCenterError("member_center_not_found", "No member center at this address");
  const look = await readLook(trx, tenantId);
  const wallet = await memberCenterWallet(trx, tenantId, now);
  return {
    object: "member_center_branding" as const,
    tenant_id: tenant.id,
    name: tenant.name,
    logo_url: look.logoUrl,
    brand_color: look.brandColor,
    locale: tenant.locale,
    timezone: tenant.timezone,
    currency: wallet.asset,
    hide_balance: wallet.hideBalance,
    online_topup_enabled: wallet.onlineTopup,
    points_per_unit: wallet.pointsPerUnit,
  };
}

/** The signed-in member's card and points (the balance has its own endpoint, which may refuse). */
export async function meView(db: Database, actor: Actor, now: Date) {
  const memberId = actor.memberId;
  if (!memberId) throw new MemberCenterError("forbidden", "This endpoint is for member tokens only");
  const tenantId = actor.tenantId;
  const [members, unitPaths, points, referralPoints, ...catalogRows] = await db.tenantQueries(tenantId, [
    ...visibleMemberQueries(db.kysely, tenantId, memberId),
    pointsLotsQuery(db.kysely, tenantId, memberId, "points", now),
    pointsLotsQuery(db.kysely, tenantId, memberId, "referral_points", now),
    ...catalogQueries(db.kysely, tenantId),
  ] as const);
  const member = visibleMemberOf(actor, memberId, members, unitPaths);
  const facts = factsOf(member, catalogOf(catalogRows));
  const sum = (rows: Parameters<typeof pointsLotsOf>[0]) =>
    pointsLotsOf(rows).reduce((s, l) => s + l.balance, 0);
  return {
    object: "member_center_member" as const,
    member_id: member.id,
    name: member.name,
    card_plan: facts.cardPlan ?? null,
    tier: facts.tier ?? null,
    card_number: member.card_number,
    card_expires_at: member.card_expires_at?.toISOString() ?? null,
    points: sum(points),
    referral_points: sum(referralPoints),
  };
}
