import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { randomToken, sha256Hex } from "../../platform/auth/secrets.js";
import { newId } from "../../shared/ids.js";
import { findVisibleMember } from "../members/index.js";
import { MemberCenterError } from "./membercenter.errors.js";
import { insertCode } from "./membercenter.repository.js";
import { CODE_TTL_SECONDS, type Page } from "./membercenter.schemas.js";

/** The member center's address for a tenant: its id is the slug (ids never change, names do). */
export function memberCenterPath(tenantId: string, page: Page): string {
  return `/m/${tenantId}/${page === "home" ? "" : page}`;
}

/**
 * A one-time link into the member center for one member. Only the code's hash is kept, so
 * the link cannot be rebuilt from the database; a retry mints another code and the unused
 * one lapses in minutes.
 */
export async function createLink(
  trx: Tx,
  ctx: RequestContext,
  input: { memberId: string; page: Page; query?: Record<string, string> },
  now: Date,
  /**
   * Real time, even in a sandbox: the code is traded on a public route, where no sandbox clock
   * applies, so its lifetime is counted on the real clock (else a sandbox clock years ahead
   * would make a link that works for years).
   */
  realTime: Date,
): Promise<{ memberId: string; path: string; expiresAt: Date }> {
  const { actor } = ctx;
  const member = await findVisibleMember(trx, actor, input.memberId);
  if (member.status === "closed") throw new MemberCenterError("member_closed", "The member is closed");
  const code = randomToken(32);
  const expiresAt = new Date(realTime.getTime() + CODE_TTL_SECONDS * 1000);
  const id = newId("mcc");
  await insertCode(trx, {
    tenant_id: actor.tenantId,
    id,
    code_hash: sha256Hex(code),
    member_id: member.id,
    page: input.page,
    expires_at: expiresAt,
    created_by: actor.id,
    created_at: now,
  });
  await recordAudit(
    trx,
    ctx,
    {
      action: "member_center.link_created",
      targetType: "member",
      targetId: member.id,
      summary: { code_id: id, page: input.page },
    },
    now,
  );
  // The page's own parameters (the cashier's order) come first; the code is removed on arrival.
  const query = new URLSearchParams({ ...input.query, code });
  const path = `${memberCenterPath(actor.tenantId, input.page)}?${query.toString()}`;
  return { memberId: member.id, path, expiresAt };
}
