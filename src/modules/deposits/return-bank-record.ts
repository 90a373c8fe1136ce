import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertPlatform, lockUnmatchedRecord } from "./deposits.repository.js";

/** Finance returns an unmatched bank record to the payer: nothing is credited (audited). */
export async function returnBankRecord(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { recordId: string; note: string | null },
  now: Date,
) {
  const { trx } = uow;
  assertPlatform(ctx.actor);
  const record = await lockUnmatchedRecord(trx, ctx.actor.tenantId, input.recordId);
  const returned = await trx
    .updateTable("deposit_bank_records")
    .set({ status: "returned", resolved_at: now })
    .where("tenant_id", "=", record.tenant_id)
    .where("id", "=", record.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "deposit_bank_record.returned",
      targetType: "deposit_bank_record",
      targetId: record.id,
      summary: { note: input.note },
    },
    now,
  );
  return returned;
}
