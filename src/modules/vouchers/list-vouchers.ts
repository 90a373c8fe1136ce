import { type QueryCreator, type SelectQueryBuilder, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { type Actor, systemActor } from "../../platform/auth/actor.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import type { Purpose, UnitVoucherRow, VoucherStatus } from "./vouchers.repository.js";

/** An export holds at most this many rows; narrow the filters for more. */
export const MAX_EXPORT_ROWS = 10_000;

export interface VoucherFilters {
  status?: VoucherStatus | readonly VoucherStatus[];
  customer_id?: string;
  template_id?: string;
  issuer_id?: string;
  purpose?: Purpose;
  face_amount?: number;
  issued_from?: string;
  issued_to?: string;
  expires_from?: string;
  expires_to?: string;
  /** Vouchers funded from this account (e.g. the allocations of one enterprise coupon). */
  source_account_id?: string;
}

/** Org units' vouchers (the join on the holder leaves members' vouchers out). */
export type VoucherListRow = UnitVoucherRow & { balance: number; status: VoucherStatus };

/**
 * Vouchers with their ledger balance and status. The status is derived, never stored:
 * withdrawn / expired (stored, or past its end time) / used_up (balance 0) / unused
 * (balance equals the face amount) / partly_used.
 */
/** A voucher `v`'s posted balance, from its ledger account joined as `a`. */
export const voucherBalanceSql = () => sql<number>`coalesce(a.credits_posted - a.debits_posted, 0)`;

/** The derived status of a voucher `v` (ledger account joined as `a`) at `now`. */
export const voucherStatusSql = (now: Date) => sql<VoucherStatus>`case
    when v.state = 'withdrawn' then 'withdrawn'
    when v.state = 'expired' or v.expires_at <= ${now} then 'expired'
    when coalesce(a.credits_posted - a.debits_posted, 0) = 0 then 'used_up'
    when coalesce(a.credits_posted - a.debits_posted, 0) >= v.face_amount then 'unused'
    else 'partly_used' end`;

export function voucherQuery(qc: QueryCreator<DB>, actor: Actor, filters: VoucherFilters, now: Date) {
  const balance = voucherBalanceSql();
  const status = voucherStatusSql(now);
  let query = qc
    .selectFrom("vouchers as v")
    .innerJoin("org_units as c", (j) =>
      j.onRef("c.tenant_id", "=", "v.tenant_id").onRef("c.id", "=", "v.customer_id"),
    )
    .leftJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "v.tenant_id").onRef("a.id", "=", "v.account_id"),
    )
    .selectAll("v")
    .select([balance.as("balance"), status.as("status")])
    .where("v.tenant_id", "=", actor.tenantId) as unknown as SelectQueryBuilder<
    DB & { v: DB["vouchers"]; c: DB["org_units"] },
    "v" | "c",
    VoucherListRow
  >;
  if (actor.type === "member") query = query.where("v.customer_id", "=", actor.memberId ?? "");
  else if (actor.orgUnitPath) query = query.where("c.path", "like", subtreePattern(actor.orgUnitPath));
  if (typeof filters.status === "string") query = query.where(status, "=", filters.status);
  else if (filters.status) query = query.where(status, "in", filters.status);
  if (filters.customer_id) query = query.where("v.customer_id", "=", filters.customer_id);
  if (filters.template_id) query = query.where("v.template_id", "=", filters.template_id);
  if (filters.issuer_id) query = query.where("v.issuer_id", "=", filters.issuer_id);
  if (filters.purpose) query = query.where("v.purpose", "=", filters.purpose);
  if (filters.face_amount !== undefined) query = query.where("v.face_amount", "=", filters.face_amount);
  if (filters.issued_from) query = query.where("v.created_at", ">=", new Date(filters.issued_from));
  if (filters.issued_to) query = query.where("v.created_at", "<", new Date(filters.issued_to));
  if (filters.expires_from) query = query.where("v.expires_at", ">=", new Date(filters.expires_from));
  if (filters.source_account_id) query = query.where("v.source_account_id", "=", filters.source_account_id);
  if (filters.expires_to) query = query.where("v.expires_at", "<", new Date(filters.expires_to));
  return query;
}

export async function listVouchers(
  trx: Tx,
  actor: Actor,
  filters: VoucherFilters,
  page: { limit: number; startingAfter?: string },
  now: Date,
): Promise<VoucherListRow[]> {
  return (await voucherPageQuery(trx, actor, filters, page, now).execute()) as VoucherListRow[];
}

/** A page of `voucherQuery`, in id order. */
export function voucherPageQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  filters: VoucherFilters,
  page: { limit: number; startingAfter?: string },
  now: Date,
) {
  let query = voucherQuery(qc, actor, filters, now).orderBy("v.id").limit(page.limit);
  if (page.startingAfter) query = query.where("v.id", ">", page.startingAfter);
  return query;
}

/** One voucher with its balance, whoever holds it (callers check their own access). */
export async function findVoucher(trx: Tx, tenantId: string, id: string, now: Date) {
  const actor = systemActor(tenantId, "vouchers.find");
  return (await voucherQuery(trx, actor, {}, now).where("v.id", "=", id).executeTakeFirst()) as
    | VoucherListRow
    | undefined;
}

/** Vouchers by id with their balances, in one read (unknown ids are left out): pages that list vouchers of their own records. */
export async function findVouchers(trx: Tx, tenantId: string, ids: readonly string[], now: Date) {
  if (ids.length === 0) return [];
  const actor = systemActor(tenantId, "vouchers.find");
  return (await voucherQuery(trx, actor, {}, now)
    .where("v.id", "in", [...ids])
    .execute()) as VoucherListRow[];
}

/** A holder's vouchers with balances (at most MAX_EXPORT_ROWS), for modules that build on vouchers. */
export async function vouchersHeldBy(
  trx: Tx,
  tenantId: string,
  holderId: string,
  filters: VoucherFilters,
  now: Date,
): Promise<VoucherListRow[]> {
  const actor = systemActor(tenantId, "vouchers.held");
  return (await voucherQuery(trx, actor, { ...filters, customer_id: holderId }, now)
    .orderBy("v.id")
    .limit(MAX_EXPORT_ROWS)
    .execute()) as VoucherListRow[];
}
