import { DomainError } from "../../shared/errors.js";
import type { Actor } from "./actor.js";

/**
 * An actor bound to an org unit sees only that unit's subtree. Out-of-scope things answer
 * exactly as missing ones do, so their existence does not leak.
 */
export function inScope(actor: Actor, orgUnitPath: string | null | undefined): boolean {
  if (actor.orgUnitPath === null) return true;
  if (!orgUnitPath) return false;
  return orgUnitPath.startsWith(actor.orgUnitPath);
}

export function assertInScope(actor: Actor, orgUnitPath: string | null | undefined, what: string): void {
  if (!inScope(actor, orgUnitPath)) throw new DomainError(`${what}_not_found`, `${humanise(what)} not found`);
}

/** A member token reaches only that member's own resources. */
export function assertMemberAccess(actor: Actor, memberId: string, what = "member"): void {
  if (actor.type === "member" && actor.memberId !== memberId) {
    throw new DomainError(`${what}_not_found`, `${humanise(what)} not found`);
  }
}

function humanise(code: string): string {
  const text = code.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
