import type { QueryCreator } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { voucherBalanceSql, voucherStatusSql } from "./list-vouchers.js";
import type { VoucherRow, VoucherStatus } from "./vouchers.repository.js";

/** A member's voucher with its ledger balance and derived status. */
export type MemberVoucherListRow = VoucherRow & { member_id: string; balance: number; status: VoucherStatus };

/**
 * One member's vouchers (purpose member_voucher) with balance and status, in id order.
 * The status is derived as for every voucher: withdrawn / expired (stored, or past its end
 * time) / used_up / unused / partly_used. The caller checks that it may see the member.
 */
export async function listMemberVouchers(
  trx: Tx,
  tenantId: string,
  memberId: string,
  filters: { status?: VoucherStatus; id?: string },
  page: { limit: number; startingAfter?: string },
  now: Date,
): Promise<MemberVoucherListRow[]> {
  return memberVoucherRowsOf(
    await memberVouchersQuery(trx, tenantId, memberId, filters, page, now).execute(),
  );
}

/** What `listMemberVouchers` reads, as a query for a transaction or for `Database.tenantQueries`. */
export function memberVouchersQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  memberId: string,
  filters: { status?: VoucherStatus; id?: string },
  page: { limit: number; startingAfter?: string },
  now: Date,
) {
  const balance = voucherBalanceSql();
  const status = voucherStatusSql(now);
  let query = qc
    .selectFrom("vouchers as v")
    .leftJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "v.tenant_id").onRef("a.id", "=", "v.account_id"),
    )
    .selectAll("v")
    .select([balance.as("balance"), status.as("status")])
    .where("v.tenant_id", "=", tenantId)
    .where("v.member_id", "=", memberId)
    .orderBy("v.id")
    .limit(page.limit);
  if (filters.status) query = query.where(status, "=", filters.status);
  if (filters.id) query = query.where("v.id", "=", filters.id);
  if (page.startingAfter) query = query.where("v.id", ">", page.startingAfter);
  return query;
}

export function memberVoucherRowsOf(
  rows: readonly (VoucherRow & { balance: number | string; status: VoucherStatus })[],
): MemberVoucherListRow[] {
  return rows.map((r) => ({ ...r, balance: Number(r.balance) })) as MemberVoucherListRow[];
}
