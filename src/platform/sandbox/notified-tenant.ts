import type { Database } from "../../db/database.js";
import { runInClockScope } from "../../shared/clock.js";
import { tenantExists } from "../tenants.js";
import { tenantClockScope } from "./tenant-clock.js";

/**
 * Runs a payment provider's notification for the tenant its URL names. The notify routes are
 * public (no credential says whose they are), so this does for them what authentication does
 * for every other request:
 * - an unknown tenant answers `notFound()`, the route's own not-found error;
 * - an archived sandbox is refused (403 sandbox_archived) before the signature is checked or
 *   anything is written: the provider resends until answered, and once the sandbox is restored
 *   the resent notice settles as it would have;
 * - a sandbox's notice runs `fn` at its test clock's time (`clock.now()` reads the scope), a
 *   live tenant's in no scope at all (ADR 0011).
 *
 * A provider signs at its own, real time: a signature's timestamp is checked against
 * `realNow(clock)`, not against the sandbox's time.
 */
export async function atNotifiedTenantTime<T>(
  db: Database,
  tenantId: string,
  notFound: () => Error,
  fn: () => Promise<T>,
): Promise<T> {
  if (!(await tenantExists(db, tenantId))) throw notFound();
  const scope = await tenantClockScope(db, tenantId);
  return scope ? runInClockScope(scope, fn) : fn();
}
