import type { ReadStatement, Tx } from "../../db/database.js";
import { type Account, balancesOf, type LedgerOps } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { ProductScope } from "./voucher-rules.js";
import type { VoucherRow, VoucherState } from "./vouchers.repository.js";

/** A member's voucher as a till sees it: its terms and what is left on it. */
export interface MemberVoucher {
  id: string;
  memberId: string;
  asset: string;
  state: VoucherState;
  startsAt: Date;
  expiresAt: Date;
  scope: ProductScope;
  minBillAmount: number;
  /** Posted ledger balance (as the caller's unit of work sees it when `ledger` is given). */
  balance: number;
}

/** At most this many vouchers read by id at once. */
export const MAX_VOUCHERS_BY_ID = 50;

/**
 * Members' vouchers by id (unknown ids, org units' vouchers, and — for a member token —
 * other members' vouchers are left out), in id order. With `lock`, the voucher rows are
 * locked (in id order, so concurrent orders cannot deadlock on them) before their balances
 * are read, so a decision taken on them holds until the transaction ends: redemptions,
 * withdrawal and expiry lock the same rows first.
 */
export async function memberVouchersById(
  trx: Tx,
  actor: Actor,
  ids: readonly string[],
  options: { lock: boolean; ledger: LedgerOps },
): Promise<MemberVoucher[]> {
  const wanted = [...new Set(ids)].sort().slice(0, MAX_VOUCHERS_BY_ID);
  if (wanted.length === 0) return [];
  let query = trx
    .selectFrom("vouchers")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "in", wanted)
    .where("member_id", "is not", null)
    .orderBy("id");
  if (actor.type === "member") query = query.where("member_id", "=", actor.memberId ?? "");
  if (options.lock) query = query.forUpdate();
  const rows = await query.execute();
  const out: MemberVoucher[] = [];
  for (const v of rows) {
    // Without `lock` nothing is decided on the balance: read it without locking the account.
    const balances = options.lock
      ? await options.ledger.balances(v.account_id!)
      : await options.ledger.peekBalances(v.account_id!);
    out.push(memberVoucherOf(v, balances?.posted ?? 0));
  }
  return out;
}

/**
 * `memberVouchersById` without a lock as one statement for a read-only snapshot
 * (`Database.tenantRead`): each voucher row with its ledger account as `account` (json).
 */
export function memberVouchersRead(actor: Actor, ids: readonly string[]): ReadStatement | null {
  const wanted = [...new Set(ids)].sort().slice(0, MAX_VOUCHERS_BY_ID);
  if (wanted.length === 0) return null;
  return {
    text: `select v.*, to_jsonb(a) as account from vouchers v
        left join ledger_accounts a on a.tenant_id = v.tenant_id and a.id = v.account_id
      where v.tenant_id = $1::text and v.id = any($2::text[]) and v.member_id is not null
        and ($3::text is null or v.member_id = $3::text)
      order by v.id`,
    values: [actor.tenantId, wanted, actor.type === "member" ? (actor.memberId ?? "") : null],
  };
}

/** The vouchers of the rows `memberVouchersRead` returned. */
export function memberVouchersFromRows(rows: readonly Record<string, unknown>[]): MemberVoucher[] {
  return (rows as unknown as (VoucherRow & { account: Account | null })[]).map((v) =>
    memberVoucherOf(v, v.account ? balancesOf(v.account).posted : 0),
  );
}

function memberVoucherOf(v: VoucherRow, balance: number): MemberVoucher {
  return {
    id: v.id,
    memberId: v.member_id!,
    asset: v.asset,
    state: v.state,
    startsAt: v.starts_at,
    expiresAt: v.expires_at,
    scope: { kind: v.scope_kind, productCodes: v.product_codes },
    minBillAmount: v.min_bill_amount,
    balance,
  };
}
