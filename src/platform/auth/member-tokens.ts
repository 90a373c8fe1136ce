import type { Database, Tx } from "../../db/database.js";
import { DomainError } from "../../shared/errors.js";
import type { Actor } from "./actor.js";
import { hmacBase64Url, safeEqual } from "./secrets.js";

/**
 * A member token is `mt.<payload>.<signature>`: the tenant's backend exchanges its API key
 * for it, and a member-facing client presents it. It is short-lived and names one member.
 */
export interface MemberTokenClaims {
  tenant_id: string;
  member_id: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issue time, milliseconds since the epoch: a revocation voids tokens issued before it. */
  iat_ms?: number;
}

declare module "../../db/schema.js" {
  interface DB {
    member_token_revocations: { tenant_id: string; member_id: string; revoked_before: Date };
  }
}

/**
 * Voids every token of the member issued up to `now` (closing a member, or an explicit revoke).
 * `now` is real time (`realNow`), even in a sandbox: tokens carry their real issue time.
 */
export async function revokeMemberTokens(
  trx: Tx,
  tenantId: string,
  memberId: string,
  now: Date,
): Promise<void> {
  await trx
    .insertInto("member_token_revocations")
    .values({ tenant_id: tenantId, member_id: memberId, revoked_before: now })
    .onConflict((oc) => oc.columns(["tenant_id", "member_id"]).doUpdateSet({ revoked_before: now }))
    .execute();
}

/** When the member's tokens were last revoked (real time), if ever. */
export async function memberTokensRevokedBefore(
  trx: Tx,
  tenantId: string,
  memberId: string,
): Promise<Date | null> {
  const row = await trx
    .selectFrom("member_token_revocations")
    .select("revoked_before")
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .executeTakeFirst();
  return row?.revoked_before ?? null;
}

/** Refuses a token issued before its member's last revocation. */
export async function assertMemberTokenLive(db: Database, claims: MemberTokenClaims): Promise<void> {
  const revokedBefore = await db.tenantTx(claims.tenant_id, (trx) =>
    memberTokensRevokedBefore(trx, claims.tenant_id, claims.member_id),
  );
  if (revokedBefore && (claims.iat_ms ?? 0) <= revokedBefore.getTime()) {
    throw new DomainError("unauthenticated", "The member token has been revoked");
  }
}

export function signMemberToken(secret: string, claims: MemberTokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `mt.${payload}.${hmacBase64Url(secret, `mt.${payload}`)}`;
}

export function verifyMemberToken(secret: string, token: string, now: Date): MemberTokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== "mt")
    throw new DomainError("unauthenticated", "Malformed member token");
  const expected = hmacBase64Url(secret, `mt.${parts[1]}`);
  if (!safeEqual(expected, parts[2]!)) throw new DomainError("unauthenticated", "Invalid member token");
  let claims: MemberTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    throw new DomainError("unauthenticated", "Malformed member token");
  }
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= now.getTime()) {
    throw new DomainError("unauthenticated", "The member token has expired");
  }
  return claims;
}

/**
 * How a member token's member is checked before the token is issued or revoked (it exists
 * and the caller may see it; one to be issued is not closed). The members module registers
 * it; the platform imports no module.
 */
export type MemberTokenGuard = (
  trx: Tx,
  actor: Actor,
  memberId: string,
  purpose: "issue" | "revoke",
) => Promise<void>;
let memberGuard: MemberTokenGuard | null = null;

export function setMemberTokenGuard(guard: MemberTokenGuard): void {
  memberGuard = guard;
}

export function memberTokenGuard(): MemberTokenGuard | null {
  return memberGuard;
}
