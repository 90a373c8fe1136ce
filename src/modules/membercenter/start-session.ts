import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor } from "../../platform/auth/actor.js";
import { memberTokensRevokedBefore, signMemberToken } from "../../platform/auth/member-tokens.js";
import { sha256Hex } from "../../platform/auth/secrets.js";
import { findVisibleMember } from "../members/index.js";
import { MemberCenterError } from "./membercenter.errors.js";
import { lockCode, markCodeUsed } from "./membercenter.repository.js";
import { CODE_TTL_SECONDS, type Page } from "./membercenter.schemas.js";

export interface StartedSession {
  token: string;
  memberId: string;
  page: Page;
  expiresAt: Date;
}

/**
 * Trades a link's one-time code for a short-lived member token. The code row is locked, so
 * of two pages opening the same link at once exactly one gets a token; a used or expired
 * code is refused with its own code, an unknown one answers 404.
 */
export async function startSession(
  trx: Tx,
  input: { tenantId: string; code: string; signingSecret: string; ttlSeconds: number },
  now: Date,
): Promise<StartedSession> {
  const row = await lockCode(trx, input.tenantId, sha256Hex(input.code));
  if (!row) throw new MemberCenterError("member_center_code_not_found", "This link is not valid");
  if (row.used_at) throw new MemberCenterError("member_center_code_used", "This link has been used already");
  if (row.expires_at.getTime() <= now.getTime()) {
    throw new MemberCenterError("member_center_code_expired", "This link has expired");
  }
  const actor: Actor = {
    tenantId: input.tenantId,
    type: "member",
    id: row.member_id,
    role: "member",
    orgUnitId: null,
    orgUnitPath: null,
    memberId: row.member_id,
  };
  const member = await findVisibleMember(trx, actor, row.member_id);
  if (member.status === "closed") throw new MemberCenterError("member_closed", "The member is closed");
  // A revocation cuts the member off: a link made before it would hand out a fresh token. The
  // link's real making time is its real expiry less its lifetime (created_at is sandbox time).
  const revokedBefore = await memberTokensRevokedBefore(trx, input.tenantId, row.member_id);
  const madeAt = row.expires_at.getTime() - CODE_TTL_SECONDS * 1000;
  if (revokedBefore && madeAt <= revokedBefore.getTime()) {
    throw new MemberCenterError(
      "member_center_code_expired",
      "This link was revoked with the member's tokens",
    );
  }
  await markCodeUsed(trx, input.tenantId, row.id, now);
  const expSeconds = Math.floor(now.getTime() / 1000) + input.ttlSeconds;
  const token = signMemberToken(input.signingSecret, {
    tenant_id: input.tenantId,
    member_id: row.member_id,
    exp: expSeconds,
    iat_ms: now.getTime(),
  });
  await recordAudit(
    trx,
    actor,
    {
      action: "member_center.session_started",
      targetType: "member",
      targetId: row.member_id,
      summary: { code_id: row.id },
    },
    now,
  );
  return { token, memberId: row.member_id, page: row.page as Page, expiresAt: new Date(expSeconds * 1000) };
}
