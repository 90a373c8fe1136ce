import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertPlatform, lockTopup, lockUnmatchedRecord } from "./deposits.repository.js";
import { applyMatch } from "./receive-bank-record.js";

/** Finance matches an unmatched bank record to a top-up application by hand (audited). */
export async function matchBankRecord(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { recordId: string; topupId: string },
  now: Date,
) {
  const { trx } = uow;
  assertPlatform(ctx.actor);
  const { tenantId } = ctx.actor;
  const record = await lockUnmatchedRecord(trx, tenantId, input.recordId);
  const topup = await lockTopup(trx, tenantId, input.topupId);
  const result = await applyMatch(trx, uow, ctx.actor, record, topup, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "deposit_bank_record.matched",
      targetType: "deposit_bank_record",
      targetId: record.id,
      summary: { topup_id: topup.id },
    },
    now,
  );
  return result;
}
