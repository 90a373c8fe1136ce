import { type RawBuilder, sql } from "kysely";

/**
 * A member's balance as the member list shows, sorts and filters it (seed 004: "管理员在会员
 * 列表…查看到会员的账户余额"): the posted balance of every principal and bonus account the
 * wallets module opens for the member (its plain accounts and its tagged top-up lots), read
 * from the ledger's account rows without a lock. members.test.ts holds it equal to
 * `GET /v1/members/{id}/balance`.
 */
const KINDS = {
  principal: sql.raw("('member_principal', 'member_principal_lot')"),
  bonus: sql.raw("('member_bonus', 'member_bonus_lot')"),
  total: sql.raw("('member_principal', 'member_principal_lot', 'member_bonus', 'member_bonus_lot')"),
};

/** The balance of one part of the member whose id `member` refers to (a column or a value). */
export function balanceOf(part: keyof typeof KINDS, member: RawBuilder<string> | string): RawBuilder<number> {
  const owner = typeof member === "string" ? sql`${member}` : member;
  return sql<number>`(select coalesce(sum(a.credits_posted - a.debits_posted), 0)::bigint
    from ledger_accounts a
    where a.tenant_id = members.tenant_id and a.owner_module = 'wallets'
      and a.owner_id = ${owner} and a.kind in ${KINDS[part]})`;
}

export const MEMBER_ID = sql<string>`members.id`;

export type BalanceSort = "balance_asc" | "balance_desc";
