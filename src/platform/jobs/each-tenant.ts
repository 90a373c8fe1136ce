import { describeFailures } from "./each-item.js";

/** What one tenant's failed run was, for the job's error. */
export interface TenantFailure {
  tenantId: string;
  error: unknown;
}

/**
 * A sweep's run failed for some tenants; the others were done. Thrown after every tenant had
 * its turn, so the job is recorded failed (and retried) with the tenants it names.
 */
export class TenantSweepError extends Error {
  constructor(
    readonly job: string,
    readonly failures: TenantFailure[],
  ) {
    const named = describeFailures(failures.map((f) => ({ id: f.tenantId, error: f.error })));
    super(`${job} failed for ${failures.length} tenant(s): ${named}`);
    this.name = "TenantSweepError";
  }
}

/**
 * Runs a cross-tenant sweep's work for each tenant in turn. One tenant's failure (a row its
 * work cannot settle) does not stop the tenants after it: they are all done, and then the
 * failures are thrown together, naming each tenant. Without this, a tenant that fails on every
 * run (the same row first in its batch each time) would hold back every tenant listed after it
 * for good.
 */
export async function forEachTenant<T>(
  job: string,
  tenantIds: readonly string[],
  run: (tenantId: string) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  const failures: TenantFailure[] = [];
  for (const tenantId of tenantIds) {
    try {
      results.push(await run(tenantId));
    } catch (error) {
      failures.push({ tenantId, error });
    }
  }
  if (failures.length > 0) throw new TenantSweepError(job, failures);
  return results;
}
