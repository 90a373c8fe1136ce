import type { Tx } from "../db/database.js";
import { DomainError } from "../shared/errors.js";
import { recordAudit } from "./audit/audit.js";
import type { Actor, RequestContext, Role } from "./auth/actor.js";
import { createUser } from "./auth/users.js";
import { isUniqueViolation, orgUnitInScope } from "./org/org-units.js";

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
  org_unit_id?: string | null;
}

/** Nobody hands out more power than they hold: only an owner creates owners. */
export function assertMayGrant(actor: Actor, role: Role): void {
  if (actor.role !== "owner" && role === "owner") {
    throw new DomainError("forbidden", "Only an owner can create owners");
  }
}

/** Creates a console user bound to a unit in the actor's subtree (default: the actor's own unit). */
export async function addUser(trx: Tx, ctx: RequestContext, input: NewUser, now: Date) {
  const { actor } = ctx;
  assertMayGrant(actor, input.role);
  const orgUnitId = input.org_unit_id ?? actor.orgUnitId;
  if (orgUnitId) await orgUnitInScope(trx, actor, orgUnitId);
  const user = await createUser(
    trx,
    actor.tenantId,
    { email: input.email, name: input.name, password: input.password, role: input.role, orgUnitId },
    now,
  ).catch((error) => {
    if (isUniqueViolation(error, "users_email")) {
      throw new DomainError("email_taken", "A user with this email already exists");
    }
    throw error;
  });
  await recordAudit(
    trx,
    ctx,
    {
      action: "user.created",
      targetType: "user",
      targetId: user.id,
      summary: { after: { email: user.email, name: user.name, role: user.role, org_unit_id: orgUnitId } },
    },
    now,
  );
  return { ...user, locked_until: null };
}
