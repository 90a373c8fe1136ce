import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { UnitOfWork } from "./vouchers.ledger.js";
import { withdrawLocked } from "./withdraw-voucher.js";

/**
 * What members' vouchers have paid for, net of returns, by id (vouchers never redeemed: 0).
 * With `lock` the voucher rows are locked first, in id order as a checkout locks them: a
 * redemption still in progress is waited for and counted, and one that comes later waits
 * until the caller's transaction ends, so a decision made on the answer stays true.
 */
export async function redeemedNet(
  trx: Tx,
  tenantId: string,
  ids: readonly string[],
  options: { lock?: boolean } = {},
): Promise<Map<string, number>> {
  const out = new Map(ids.map((id) => [id, 0]));
  if (ids.length === 0) return out;
  if (options.lock) {
    await trx
      .selectFrom("vouchers")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "in", [...new Set(ids)].sort())
      .orderBy("id")
      .forUpdate()
      .execute();
  }
  const rows = await trx
    .selectFrom("voucher_redemptions")
    .select([
      "voucher_id",
      sql<string>`sum(case when kind = 'redemption' then amount else -amount end)`.as("net"),
    ])
    .where("tenant_id", "=", tenantId)
    .where("voucher_id", "in", [...ids])
    .groupBy("voucher_id")
    .execute();
  for (const r of rows) out.set(r.voucher_id, Number(r.net));
  return out;
}

export type UnusedWithdrawal = "withdrawn" | "used" | "inactive";

/**
 * Takes back a member's voucher that was given away and never used (a refunded purchase's
 * gift): the row is locked first, as redemptions lock it, so a voucher being spent right now
 * is either seen as used or withdrawn before it can be spent. A voucher that paid for
 * anything stays with the member (`used`); one already withdrawn or expired is `inactive`.
 * The caller has authorised the refund that calls this; the issuer's scope is not asked.
 */
export async function withdrawUnusedVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: { voucherId: string; reason: string },
  now: Date,
): Promise<UnusedWithdrawal> {
  const voucher = await uow.trx
    .selectFrom("vouchers")
    .selectAll()
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", input.voucherId)
    .where("member_id", "is not", null)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if ((await redeemedNet(uow.trx, uow.tenantId, [voucher.id])).get(voucher.id)! > 0) return "used";
  if (voucher.state !== "active" || voucher.expires_at.getTime() <= now.getTime()) return "inactive";
  await withdrawLocked(uow, context, voucher, input.reason, now);
  return "withdrawn";
}
