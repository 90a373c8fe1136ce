import type { Tx } from "../../db/database.js";
import { balancesOf, findAccount } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { MAX_LIMIT, type PageParams, pageQuery, toPage } from "../../platform/http/pagination.js";
import { vouchersHeldBy } from "../vouchers/index.js";
import { loadCoupon } from "./coupon-queries.js";
import { loadEnterprise, loadMember, sharingDefault } from "./enterprise.repository.js";
import {
  serializeCoupon,
  serializeCouponRecord,
  serializeHeld,
  serializeHolding,
  serializeMember,
  serializeSharingChange,
} from "./enterprise.schemas.js";
import { revocable } from "./revoke-coupon.js";

/** Read views: they check what the actor may see, and neither write nor lock. */

/** The master's member accounts, by member id. */
export async function listMembers(
  trx: Tx,
  actor: Actor,
  enterpriseId: string,
  query: PageParams & { sharing_enabled?: boolean },
) {
  await loadEnterprise(trx, actor, enterpriseId);
  let q = trx
    .selectFrom("enterprise_members")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("enterprise_id", "=", enterpriseId);
  if (query.sharing_enabled !== undefined) q = q.where("sharing_enabled", "=", query.sharing_enabled);
  return pageQuery(q, query, serializeMember, { by: "member_id" });
}

/** Every sharing change of a member account, oldest first. */
export async function listSharingChanges(trx: Tx, actor: Actor, memberId: string, page: PageParams) {
  const member = await loadMember(trx, actor, memberId);
  const q = trx
    .selectFrom("enterprise_sharing_changes")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("member_id", "=", member.member_id);
  return pageQuery(q, page, serializeSharingChange);
}

/** The master's coupons (at most one page) with their unallocated balance. */
export async function listCoupons(trx: Tx, actor: Actor, enterpriseId: string, now: Date) {
  await loadEnterprise(trx, actor, enterpriseId);
  const rows = await trx
    .selectFrom("enterprise_coupons")
    .select("id")
    .where("tenant_id", "=", actor.tenantId)
    .where("enterprise_id", "=", enterpriseId)
    .orderBy("id")
    .limit(MAX_LIMIT + 1)
    .execute();
  const coupons = await Promise.all(rows.map((r) => loadCoupon(trx, actor, r.id, now)));
  return toPage(coupons, MAX_LIMIT, serializeCoupon);
}

/** What revoking a member's allocations of a coupon would give back. */
export async function revocableView(trx: Tx, actor: Actor, couponId: string, memberId: string, now: Date) {
  const { vouchers } = await revocable(trx, actor, couponId, memberId, now);
  return {
    object: "coupon_revocable" as const,
    coupon_id: couponId,
    member_id: memberId,
    recoverable_amount: vouchers.reduce((s, v) => s + v.recoverable, 0),
    vouchers: vouchers.map((v) => ({
      voucher_id: v.voucherId,
      status: v.status,
      face_amount: v.faceAmount,
      recoverable: v.recoverable,
    })),
  };
}

/** Allocation and revocation history of the master's coupons. */
export async function listCouponRecords(
  trx: Tx,
  actor: Actor,
  enterpriseId: string,
  query: PageParams & { coupon_id?: string; member_id?: string },
) {
  await loadEnterprise(trx, actor, enterpriseId);
  let q = trx
    .selectFrom("enterprise_coupon_records")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("enterprise_id", "=", enterpriseId);
  if (query.coupon_id) q = q.where("coupon_id", "=", query.coupon_id);
  if (query.member_id) q = q.where("member_id", "=", query.member_id);
  return pageQuery(q, query, serializeCouponRecord);
}

/** The cash coupons allocated to a member account, with balances. */
export async function heldCoupons(trx: Tx, actor: Actor, memberId: string, now: Date) {
  const member = await loadMember(trx, actor, memberId);
  const rows = await vouchersHeldBy(trx, actor.tenantId, member.member_id, { purpose: "cash_coupon" }, now);
  return { object: "list" as const, data: rows.map(serializeHeld), has_more: false };
}

/** The master's global sharing switch (off until first switched on). */
export async function sharingState(trx: Tx, actor: Actor, enterpriseId: string) {
  await loadEnterprise(trx, actor, enterpriseId);
  return {
    object: "enterprise_sharing" as const,
    enterprise_id: enterpriseId,
    enabled: await sharingDefault(trx, actor.tenantId, enterpriseId),
  };
}

/** The master's own packages, each with what its ledger account has left (`active`: usable now). */
export async function listPackages(
  trx: Tx,
  actor: Actor,
  enterpriseId: string,
  query: PageParams & { active?: boolean },
  now: Date,
) {
  await loadEnterprise(trx, actor, enterpriseId);
  let q = trx
    .selectFrom("resource_packages")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("owner_id", "=", enterpriseId);
  if (query.active === true) q = q.where("starts_at", "<=", now).where("expires_at", ">", now);
  if (query.active === false)
    q = q.where((eb) => eb.or([eb("starts_at", ">", now), eb("expires_at", "<=", now)]));
  return pageQuery(q, query, async (row) => {
    const account = await findAccount(trx, actor.tenantId, row.account_id);
    return serializeHolding(row, account ? balancesOf(account).available : 0, now);
  });
}
