import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { newId } from "../../shared/ids.js";
import { lockUsableMember } from "../members/index.js";
import { localDate } from "./student-validity.js";
import { StudentsError } from "./students.errors.js";
import { emitStudentEvent } from "./students.events.js";
import { assertOwnStudentIdImage, memberVerification, type VerificationRow } from "./students.repository.js";

export interface SubmitInput {
  memberId: string;
  school: string;
  studentNumber: string;
  graduationDate: string;
  imageId: string;
}

/**
 * A member (own token) or staff who see the member submits a student ID for review. The
 * member row is locked first, so two submissions at once give one pending verification and
 * one `student_verification_pending`. A member who is a student now may verify again (the
 * approval then replaces the current one).
 */
export async function submitVerification(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: SubmitInput,
  now: Date,
): Promise<VerificationRow> {
  const { trx, tenantId } = uow;
  const member = await lockUsableMember(trx, ctx.actor, input.memberId);
  if (input.graduationDate < localDate(now, await tenantZone(trx, tenantId))) {
    throw new StudentsError("graduation_date_passed", "The graduation date has passed", {
      errors: [{ field: "/body/graduation_date", message: "must be today or later" }],
    });
  }
  await assertOwnStudentIdImage(trx, tenantId, input.imageId, member.id, "/body/image_id");
  if (await memberVerification(trx, tenantId, member.id, "pending")) {
    throw new StudentsError(
      "student_verification_pending",
      "The member already has a verification waiting for review",
    );
  }
  const row = await trx
    .insertInto("student_verifications")
    .values({
      tenant_id: tenantId,
      id: newId("stv"),
      member_id: member.id,
      school: input.school,
      student_number: input.studentNumber,
      graduation_date: input.graduationDate,
      image_id: input.imageId,
      status: "pending",
      submitted_by: ctx.actor.id,
      submitted_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitStudentEvent(
    uow,
    tenantId,
    "student.verification_submitted",
    {
      verification_id: row.id,
      member_id: member.id,
      school: row.school,
      graduation_date: row.graduation_date,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "student_verification.submitted",
      targetType: "student_verification",
      targetId: row.id,
      summary: { member_id: member.id, school: row.school, graduation_date: row.graduation_date },
    },
    now,
  );
  return row;
}
