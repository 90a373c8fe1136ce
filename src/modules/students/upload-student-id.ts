import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { saveImage } from "../catalog/index.js";
import { lockUsableMember } from "../members/index.js";
import { bindStudentIdImage } from "./students.repository.js";

/** A student ID photo is at most 2 MiB (the catalog's limit for every purpose but icons). */
export const STUDENT_ID_MAX_BYTES = 2 * 1024 * 1024;

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
  const member = await lockUsableMember(uow.trx, ctx.actor, input.memberId, { lock: false });
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
