import type { Tx } from "../../db/database.js";
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
 * How a member token's member is checked before the token is issued (it exists and the
 * caller may see it). The members module registers it; the platform imports no module.
 */
export type MemberTokenGuard = (trx: Tx, actor: Actor, memberId: string) => Promise<void>;
let memberGuard: MemberTokenGuard | null = null;

export function setMemberTokenGuard(guard: MemberTokenGuard): void {
  memberGuard = guard;
}

export function memberTokenGuard(): MemberTokenGuard | null {
  return memberGuard;
}
