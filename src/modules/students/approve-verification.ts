import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { grantGift } from "../catalog/index.js";
import { lockUsableMember, setStudentStatus } from "../members/index.js";
import { expireApproval } from "./expire-students.js";
import { reminderAt, studentValidUntil } from "./student-validity.js";
import { StudentsError } from "./students.errors.js";
import { emitStudentEvent } from "./students.events.js";
import {
  everApproved,
  holdStudentSettings,
  loadSettings,
  lockPending,
  memberVerification,
  updateVerification,
  type VerificationRow,
} from "./students.repository.js";

/**
 * Approves a pending verification: the member is a student from now until now + the
 * validity period, or the end of the graduation date when earlier. A current approval is
 * replaced (`superseded`, end reason `reverified`); one whose end has already come expired
 * then (as the job would have recorded it). The student flag, tag and group follow
 * through the members module, and the verification gift is given by the settings' rule, in
 * the same unit of work. Locks: the verification, the settings (shared), then the member.
 */
export async function approveVerification(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { id: string },
  now: Date,
): Promise<VerificationRow> {
  const { trx, tenantId } = uow;
  const pending = await lockPending(trx, tenantId, input.id);
  await holdStudentSettings(trx, tenantId, "apply");
  const member = await lockUsableMember(trx, ctx.actor, pending.member_id);
  const settings = await loadSettings(trx, tenantId);
  const zone = await tenantZone(trx, tenantId);
  const validity = { count: settings.validity_count, unit: settings.validity_unit };
  const { validUntil } = studentValidUntil(now, validity, pending.graduation_date, zone);
  if (validUntil <= now) {
    throw new StudentsError("graduation_date_passed", "The graduation date has passed: reject it instead");
  }
  let current = await memberVerification(trx, tenantId, member.id, "approved");
  if (current && (current.valid_until as Date) <= now) {
    // Its end has come and the job has not run yet: it expired then; nothing is replaced.
    await expireApproval(trx, ctx, current, zone, now);
    current = undefined;
  }
  if (current) {
    await updateVerification(trx, tenantId, current.id, {
      status: "superseded",
      end_reason: "reverified",
      ended_at: now,
    });
    await recordAudit(
      uow,
      ctx,
      {
        action: "student_verification.superseded",
        targetType: "student_verification",
        targetId: current.id,
        summary: { member_id: member.id, end_reason: "reverified", replaced_by: pending.id },
      },
      now,
    );
  }
  const first = !(await everApproved(trx, tenantId, member.id));
  await setStudentStatus(
    trx,
    ctx,
    member.id,
    { student: true, labels: { tag: settings.tag_code, group: settings.group_code } },
    now,
  );
  let giftGrantId: string | null = null;
  if (settings.gift.kind !== "none" && (first || settings.gift_rule === "every_verification")) {
    const { grant } = await grantGift(
      uow,
      ctx,
      {
        memberId: member.id,
        spec: settings.gift,
        sourceRef: `student_verification:${pending.id}`,
        timezone: zone,
      },
      now,
    );
    giftGrantId = grant.id;
  }
  const approved = await updateVerification(trx, tenantId, pending.id, {
    status: "approved",
    reviewed_by: ctx.actor.id,
    reviewed_at: now,
    valid_from: now,
    valid_until: validUntil,
    remind_at: reminderAt(validUntil, settings.reminder_days, zone, now),
    gift_grant_id: giftGrantId,
  });
  await emitStudentEvent(
    uow,
    tenantId,
    "student.verified",
    {
      verification_id: approved.id,
      member_id: member.id,
      valid_from: now.toISOString(),
      valid_until: validUntil.toISOString(),
      first_verification: first,
      gift_grant_id: giftGrantId,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "student_verification.approved",
      targetType: "student_verification",
      targetId: approved.id,
      summary: {
        member_id: member.id,
        valid_until: validUntil.toISOString(),
        replaced: current?.id ?? null,
        gift_grant_id: giftGrantId,
      },
    },
    now,
  );
  return approved;
}
