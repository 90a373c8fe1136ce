import type { Tx } from "../../db/database.js";
import type { Actor, RequestContext } from "../../platform/auth/actor.js";
import type { Operation } from "../../platform/http/value-route.js";
import { TopupError } from "./topup.errors.js";

/** Plans are the tenant's: staff bound to an org unit use them but do not change them. */
export function assertTenantWide(actor: Actor): void {
  if (actor.orgUnitId)
    throw new TopupError("catalog_scoped_actor", "Only tenant-wide staff change top-up plans");
}

/** A value route's guard for plan management: refused before the Idempotency-Key is consulted. */
export const tenantWideGuard = (_request: unknown, ctx: RequestContext): void => assertTenantWide(ctx.actor);

/**
 * A plan or code operation written against the transaction alone (it moves no value): run as
 * a value route's operation over the unit's transaction.
 */
export function overTransaction<I, R>(
  fn: (trx: Tx, ctx: RequestContext, input: I, now: Date) => Promise<R>,
): Operation<I, R> {
  return (uow, ctx, input, now) => fn(uow.trx, ctx, input, now);
}
