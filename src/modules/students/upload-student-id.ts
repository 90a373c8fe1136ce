import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { saveImage } from "../catalog/index.js";
import { lockUsableMember } from "../members/index.js";

/** A student ID photo is at most 2 MiB (the catalog's limit for every purpose but icons). */
export const STUDENT_ID_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Keeps a photo of a member's student ID (the catalog's images, purpose `student_id`): the
 * member's own token or staff who see the member. Members never read it back through
 * `GET /v1/images`; it is served with its verification.
 */
export async function uploadStudentId(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { memberId: string; declaredType: string; bytes: Buffer },
  now: Date,
) {
  await lockUsableMember(uow.trx, ctx.actor, input.memberId, { lock: false });
  return saveImage(
    uow,
    ctx,
    { purpose: "student_id", declaredType: input.declaredType, bytes: input.bytes },
    now,
  );
}
