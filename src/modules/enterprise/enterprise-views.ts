import assert from "node:assert/strict";
import type { Database, Tx } from "../../db/database.js";
import { balancesOf, findAccounts } from "../../ledger/index.js";
import { type Actor, systemActor } from "../../platform/auth/actor.js";
import {
  type PageParams,
  pageLimit,
  pageOfRows,
  pageQuery,
  pageRowsQuery,
  toPage,
} from "../../platform/http/pagination.js";
import { findVouchers, listVouchers } from "../vouchers/index.js";
import { couponView } from "./coupon-queries.js";
import {
  enterpriseInScope,
  loadEnterprise,
  loadMember,
  type PackageRow,
  sharingDefaultOf,
  sharingDefaultQuery,
  unitQuery,
} from "./enterprise.repository.js";
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

/** The master's member accounts with their names, by member id. */
export async function listMembers(
  trx: Tx,
  actor: Actor,
  enterpriseId: string,
  query: PageParams & { sharing_enabled?: boolean },
) {
  await loadEnterprise(trx, actor, enterpriseId);
  let q = trx
    .selectFrom("enterprise_members as m")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "m.tenant_id").onRef("o.id", "=", "m.member_id"),
    )
    .selectAll("m")
    .select("o.name")
    .where("m.tenant_id", "=", actor.tenantId)
    .where("m.enterprise_id", "=", enterpriseId);
  if (query.sharing_enabled !== undefined) q = q.where("m.sharing_enabled", "=", query.sharing_enabled);
  return pageQuery(q, query, serializeMember, { by: "m.member_id" });
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

/** The master's coupons with their unallocated balance, by id, a page at a time. */
export async function listCoupons(trx: Tx, actor: Actor, enterpriseId: string, page: PageParams, now: Date) {
  await loadEnterprise(trx, actor, enterpriseId);
  const q = trx
    .selectFrom("enterprise_coupons")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("enterprise_id", "=", enterpriseId);
  const rows = await pageRowsQuery(q, page).execute();
  // The page's vouchers and balances in one read, not three reads per coupon.
  const shown = rows.slice(0, pageLimit(page.limit));
  const vouchers = new Map(
    (
      await findVouchers(
        trx,
        actor.tenantId,
        shown.map((c) => c.id),
        now,
      )
    ).map((v) => [v.id, v]),
  );
  return pageOfRows(rows, page, (coupon) => {
    const voucher = vouchers.get(coupon.id);
    // Every coupon is issued as its voucher in one step; a coupon without one is not shown.
    assert(voucher, `coupon ${coupon.id} has its voucher`);
    return serializeCoupon(couponView(coupon, voucher));
  });
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
    .selectFrom("enterprise_coupon_records as r")
    .leftJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "r.tenant_id").onRef("o.id", "=", "r.member_id"),
    )
    .selectAll("r")
    .select("o.name as member_name")
    .where("r.tenant_id", "=", actor.tenantId)
    .where("r.enterprise_id", "=", enterpriseId);
  if (query.coupon_id) q = q.where("r.coupon_id", "=", query.coupon_id);
  if (query.member_id) q = q.where("r.member_id", "=", query.member_id);
  return pageQuery(q, query, serializeCouponRecord, { by: "r.id" });
}

/** The cash coupons allocated to a member account, with balances, by voucher id a page at a time. */
export async function heldCoupons(trx: Tx, actor: Actor, memberId: string, page: PageParams, now: Date) {
  const member = await loadMember(trx, actor, memberId);
  const limit = pageLimit(page.limit);
  const rows = await listVouchers(
    trx,
    systemActor(actor.tenantId, "enterprise.held_coupons"),
    { customer_id: member.member_id, purpose: "cash_coupon" },
    { limit: limit + 1, startingAfter: page.starting_after },
    now,
  );
  return toPage(rows, limit, serializeHeld);
}

/** The master's global sharing switch (off until first switched on). */
/** The master's switch; the master is read beside it only to check the actor's scope. */
export async function sharingState(db: Database, actor: Actor, enterpriseId: string) {
  const [[master], [setting]] = await db.tenantQueries(actor.tenantId, [
    unitQuery(db.kysely, actor.tenantId, enterpriseId),
    sharingDefaultQuery(db.kysely, actor.tenantId, enterpriseId),
  ] as const);
  enterpriseInScope(actor, master);
  return {
    object: "enterprise_sharing" as const,
    enterprise_id: enterpriseId,
    enabled: sharingDefaultOf(setting),
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
  const rows = await pageRowsQuery(
    packagesOf(trx, actor.tenantId, [enterpriseId], query.active, now),
    query,
  ).execute();
  const held = await holdings(trx, actor.tenantId, rows.slice(0, pageLimit(query.limit)), now);
  return pageOfRows(rows, query, (row) => held.get(row.id)!);
}

/**
 * A member account's packages and its master's, each with what it has left and whether the
 * member may draw it now: its own while active; the master's while active and the member's
 * sharing is on (usage draws the member's own first).
 */
export async function listMemberPackages(
  trx: Tx,
  actor: Actor,
  memberId: string,
  query: PageParams & { active?: boolean },
  now: Date,
) {
  const member = await loadMember(trx, actor, memberId);
  const q = packagesOf(trx, actor.tenantId, [member.member_id, member.enterprise_id], query.active, now);
  const rows = await pageRowsQuery(q, query).execute();
  const held = await holdings(trx, actor.tenantId, rows.slice(0, pageLimit(query.limit)), now);
  return pageOfRows(rows, query, (row) => {
    const own = row.owner_id === member.member_id;
    const view = held.get(row.id)!;
    return {
      ...view,
      holder: own ? ("own" as const) : ("master" as const),
      usable: view.active && (own || member.sharing_enabled),
    };
  });
}

function packagesOf(trx: Tx, tenantId: string, ownerIds: string[], active: boolean | undefined, now: Date) {
  let q = trx
    .selectFrom("resource_packages")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("owner_id", "in", ownerIds);
  if (active === true) q = q.where("starts_at", "<=", now).where("expires_at", ">", now);
  if (active === false) q = q.where((eb) => eb.or([eb("starts_at", ">", now), eb("expires_at", "<=", now)]));
  return q;
}

/** A page of packages with what each has left, their accounts read at once: by package id. */
async function holdings(trx: Tx, tenantId: string, rows: readonly PackageRow[], now: Date) {
  const accounts = new Map(
    (
      await findAccounts(
        trx,
        tenantId,
        rows.map((r) => r.account_id),
      )
    ).map((a) => [a.id, a]),
  );
  return new Map(
    rows.map((row) => {
      const account = accounts.get(row.account_id);
      return [row.id, serializeHolding(row, account ? balancesOf(account).available : 0, now)] as const;
    }),
  );
}
