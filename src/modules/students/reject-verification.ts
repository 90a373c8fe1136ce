import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { emitStudentEvent } from "./students.events.js";
import { lockPending, updateVerification, type VerificationRow } from "./students.repository.js";

/** Rejects a pending verification with the reviewer's reason; the member may submit again. */
export async function rejectVerification(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { id: string; reason: string },
  now: Date,
): Promise<VerificationRow> {
  const { trx, tenantId } = uow;
  const pending = await lockPending(trx, tenantId, input.id);
  const rejected = await updateVerification(trx, tenantId, pending.id, {
    status: "rejected",
    reviewed_by: ctx.actor.id,
    reviewed_at: now,
    reject_reason: input.reason,
  });
  await emitStudentEvent(
    uow,
    tenantId,
    "student.verification_rejected",
    { verification_id: rejected.id, member_id: rejected.member_id, reason: input.reason },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "student_verification.rejected",
      targetType: "student_verification",
      targetId: rejected.id,
      summary: { member_id: rejected.member_id, reason: input.reason },
    },
    now,
  );
  return rejected;
}
