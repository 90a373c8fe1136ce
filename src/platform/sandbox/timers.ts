import type { AppDeps } from "../../app-types.js";

/**
 * Where a kind of clock-driven work keeps its due times: rows of `table` whose `at` column
 * has come, among those `where` (a fixed SQL condition over the table's own columns) still
 * selects. Advancing a test clock steps through these instants in order.
 */
export interface DueColumn {
  table: string;
  at: string;
  where: string;
}

/**
 * The per-tenant form of a module's clock-driven sweep (expiries, timeouts): `run` does the
 * tenant's work due at `now`. The cross-tenant job `job` runs it for live tenants at real
 * time; advancing a sandbox's clock runs it at each instant one of `due` falls on.
 */
export interface TenantTimer {
  job: string;
  due: readonly DueColumn[];
  run: (deps: AppDeps, tenantId: string, now: Date) => Promise<unknown>;
}

const TIMERS = new Map<string, TenantTimer>();
const IDENT = /^[a-z_][a-z0-9_]*$/;

export function defineTimer(timer: TenantTimer): void {
  for (const due of timer.due) {
    if (!IDENT.test(due.table) || !IDENT.test(due.at)) {
      throw new Error(`timer ${timer.job}: ${due.table}.${due.at} is not a plain column`);
    }
  }
  const existing = TIMERS.get(timer.job);
  if (existing && existing !== timer) throw new Error(`timer ${timer.job} defined twice`);
  TIMERS.set(timer.job, timer);
}

export function tenantTimers(): readonly TenantTimer[] {
  return [...TIMERS.values()];
}
