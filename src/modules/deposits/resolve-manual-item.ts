import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { DepositsError } from "./deposits.errors.js";
import { assertPlatform } from "./deposits.repository.js";

/**
 * Finance marks a manual-handling item resolved, with what was done in the note (audited).
 * A failed payout is resolved only by paying or rejecting its withdrawal.
 */
export async function resolveManualItem(
  trx: Tx,
  ctx: RequestContext,
  input: { itemId: string; note: string },
  now: Date,
) {
  assertPlatform(ctx.actor);
  const { tenantId } = ctx.actor;
  const item = await trx
    .selectFrom("deposit_manual_items")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", input.itemId)
    .forUpdate()
    .executeTakeFirst();
  if (!item) throw new DepositsError("manual_item_not_found", "Manual-handling item not found");
  if (item.kind === "withdrawal_failed" && item.status === "open") {
    throw new DepositsError(
      "withdrawal_state",
      "Pay or reject the failed withdrawal; that resolves its item",
    );
  }
  if (item.status === "open") {
    await trx
      .updateTable("deposit_manual_items")
      .set({ status: "resolved", resolved_at: now })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", item.id)
      .execute();
    await recordAudit(
      trx,
      ctx,
      {
        action: "deposit_manual_item.resolved",
        targetType: "deposit_manual_item",
        targetId: item.id,
        summary: { kind: item.kind, reference_id: item.reference_id, note: input.note },
      },
      now,
    );
  }
  return { id: item.id, status: "resolved" as const };
}
