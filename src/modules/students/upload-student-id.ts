import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { saveImage } from "../catalog/index.js";
import { lockUsableMember } from "../members/index.js";
import { StudentsError } from "./students.errors.js";
import { bindStudentIdImage, unsubmittedStudentIdImages } from "./students.repository.js";

/** A student ID photo is at most 2 MiB (the catalog's limit for every purpose but icons). */
export const STUDENT_ID_MAX_BYTES = 2 * 1024 * 1024;
/** Photos a member may hold that no verification names yet (each up to 2 MiB): uploads are bounded. */
export const STUDENT_ID_MAX_UNSUBMITTED = 10;

/**
 * Keeps a photo of a member's student ID (the catalog's images, purpose `student_id`): the
 * member's own token or staff who see the member. Members never read it back through
 * `GET /v1/images`; it is served with its verification, and only a verification of this
 * member may name it.
 */
export async function uploadStudentId(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { memberId: string; declaredType: string; bytes: Buffer },
  now: Date,
) {
  // The member's lock makes the count below exact under concurrent uploads.
  const member = await lockUsableMember(uow.trx, ctx.actor, input.memberId);
  const waiting = await unsubmittedStudentIdImages(uow.trx, ctx.actor.tenantId, member.id);
  if (waiting >= STUDENT_ID_MAX_UNSUBMITTED) {
    throw new StudentsError(
      "too_many_student_id_images",
      `A member keeps at most ${STUDENT_ID_MAX_UNSUBMITTED} student ID photos not yet submitted: submit one with a verification first`,
    );
  }
  const image = await saveImage(
    uow,
    ctx,
    { purpose: "student_id", declaredType: input.declaredType, bytes: input.bytes },
    now,
  );
  // The photo is the member's: only a verification of this member may name it.
  await bindStudentIdImage(uow.trx, ctx.actor.tenantId, image.id, member.id);
  return image;
}
