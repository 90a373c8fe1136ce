import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { redeemedNet, withdrawUnusedVoucher } from "../vouchers/index.js";
import type { GiftGrantRow } from "./catalog.repository.js";
import { returnGiftStock } from "./gift-stock.js";

async function grantsOf(trx: Tx, tenantId: string, sourceRefs: readonly string[], lock: boolean) {
  if (sourceRefs.length === 0) return [];
  let query = trx
    .selectFrom("gift_grants")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("source_ref", "in", [...sourceRefs])
    .orderBy("id");
  if (lock) query = query.forUpdate();
  return query.execute();
}

/** The grants made for these references (in id order). */
export async function giftGrants(
  trx: Tx,
  tenantId: string,
  sourceRefs: readonly string[],
): Promise<GiftGrantRow[]> {
  return grantsOf(trx, tenantId, sourceRefs, false);
}

/**
 * Vouchers given for these references that have paid for something (net of returns). The
 * vouchers stay locked until the caller's transaction ends: a refund deciding on this answer
 * must not meet a voucher spent between the answer and the revoke, which keeps a used one.
 */
export async function usedGiftVouchers(
  trx: Tx,
  tenantId: string,
  sourceRefs: readonly string[],
): Promise<string[]> {
  const ids = (await grantsOf(trx, tenantId, sourceRefs, false)).flatMap((g) => g.voucher_ids);
  const net = await redeemedNet(trx, tenantId, ids, { lock: true });
  return ids.filter((id) => (net.get(id) ?? 0) > 0);
}

export interface RevokedGifts {
  /** Vouchers taken back (their whole balance returned to the tenant's funding). */
  withdrawn: string[];
  /** Vouchers that paid for something and stay with the member. */
  kept: string[];
}

/**
 * Takes back what these references gave: every voucher never used is withdrawn, used ones
 * stay. A grant whose vouchers all came back returns its unit of stock. Each grant is
 * revoked once (a second call finds it revoked and does nothing).
 */
export async function revokeGifts(
  uow: UnitOfWork,
  context: RequestContext,
  input: { sourceRefs: readonly string[]; reason: string },
  now: Date,
): Promise<RevokedGifts> {
  const out: RevokedGifts = { withdrawn: [], kept: [] };
  for (const grant of await grantsOf(uow.trx, uow.tenantId, input.sourceRefs, true)) {
    if (grant.status === "revoked") continue;
    const kept: string[] = [];
    for (const voucherId of grant.voucher_ids) {
      const result = await withdrawUnusedVoucher(uow, context, { voucherId, reason: input.reason }, now);
      if (result === "withdrawn") out.withdrawn.push(voucherId);
      else if (result === "used") kept.push(voucherId);
    }
    out.kept.push(...kept);
    if (grant.status === "granted" && grant.stock_key && kept.length === 0) {
      await returnGiftStock(uow.trx, uow.tenantId, grant.stock_key, now);
    }
    await uow.trx
      .updateTable("gift_grants")
      .set({ status: "revoked", revoked_at: now })
      .where("tenant_id", "=", uow.tenantId)
      .where("id", "=", grant.id)
      .execute();
    await recordAudit(
      uow,
      context,
      {
        action: "gift.revoked",
        targetType: "gift_grant",
        targetId: grant.id,
        summary: { source_ref: grant.source_ref, reason: input.reason, kept },
      },
      now,
    );
  }
  return out;
}
