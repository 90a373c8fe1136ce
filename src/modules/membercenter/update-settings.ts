import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { type Look, readLook, writeLook } from "./membercenter.repository.js";

/** The tenant's logo and colour in the member center; setting the same again changes nothing. */
export async function updateSettings(trx: Tx, ctx: RequestContext, input: Look, now: Date): Promise<Look> {
  const { actor } = ctx;
  const before = await readLook(trx, actor.tenantId);
  await writeLook(trx, actor.tenantId, input, actor.id, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "member_center_settings.updated",
      targetType: "member_center_settings",
      targetId: actor.tenantId,
      summary: { before, after: input },
    },
    now,
  );
  return input;
}
