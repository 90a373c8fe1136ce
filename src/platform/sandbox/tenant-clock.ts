import type { Database, Tx } from "../../db/database.js";
import { type Clock, type ClockScope, runInClockScope } from "../../shared/clock.js";
import { SandboxError } from "./sandbox.errors.js";

/** What a sandbox's clock row says; live tenants have none. */
export interface TestClockState {
  frozenAt: Date | null;
  offsetMs: number;
  /** Set once the sandbox is archived: nothing runs for it any more. */
  archivedAt?: Date | null;
}

/** Live tenants stay live: their flag is remembered per process (a sandbox never turns live). */
const LIVE = new Set<string>();
const MAX_REMEMBERED = 100_000;

/** A test clock starts no earlier than this (older dates are no business of the platform's)… */
export const EARLIEST_CLOCK_START = new Date("2000-01-01T00:00:00Z");
/** …and at most this many years after the real now (dates near year 9999 overflow later arithmetic). */
export const CLOCK_START_MAX_YEARS_AHEAD = 100;

/** Why a test clock may not start at `startsAt`, or undefined when it may. */
export function clockStartRefusal(startsAt: Date, now: Date): string | undefined {
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + CLOCK_START_MAX_YEARS_AHEAD);
  if (Number.isNaN(startsAt.getTime())) return "must be an RFC 3339 instant";
  if (startsAt < EARLIEST_CLOCK_START || startsAt > latest) {
    return `must be between ${EARLIEST_CLOCK_START.toISOString()} and ${latest.toISOString()} (${CLOCK_START_MAX_YEARS_AHEAD} years from now)`;
  }
  return undefined;
}

export async function readTestClock(trx: Tx, tenantId: string): Promise<TestClockState | null> {
  const row = await trx
    .selectFrom("tenants")
    .leftJoin("tenant_clocks as c", "c.tenant_id", "tenants.id")
    .select(["tenants.sandbox", "tenants.archived_at", "c.frozen_at", "c.offset_ms"])
    .where("tenants.id", "=", tenantId)
    .executeTakeFirst();
  if (!row?.sandbox) return null;
  return {
    frozenAt: row.frozen_at ?? null,
    offsetMs: Number(row.offset_ms ?? 0),
    archivedAt: row.archived_at ?? null,
  };
}

export function scopeOf(state: TestClockState): ClockScope {
  return state.frozenAt ? { frozenAt: state.frozenAt } : { offsetMs: state.offsetMs };
}

/**
 * The test clock of a sandbox, null for a live tenant (one lookup per process: a live tenant
 * never becomes a sandbox, and only sandboxes are archived). A sandbox's is read each time:
 * another process may have advanced or archived it.
 */
async function sandboxState(db: Database, tenantId: string): Promise<TestClockState | null> {
  if (LIVE.has(tenantId)) return null;
  const state = await db.tenantTx(tenantId, (trx) => readTestClock(trx, tenantId));
  if (state) return state;
  if (LIVE.size >= MAX_REMEMBERED) LIVE.clear();
  LIVE.add(tenantId);
  return null;
}

/**
 * The clock scope a request of the tenant runs under: none for a live tenant, its test clock
 * for a sandbox. An archived sandbox's credentials still resolve (its rows stay), so this is
 * where its requests are refused.
 */
export async function tenantClockScope(db: Database, tenantId: string): Promise<ClockScope | null> {
  const state = await sandboxState(db, tenantId);
  if (!state) return null;
  if (state.archivedAt) {
    throw new SandboxError(
      "sandbox_archived",
      `This sandbox was archived at ${state.archivedAt.toISOString()}: its keys and sign-ins no longer work`,
    );
  }
  return scopeOf(state);
}

/** What a job naming an archived sandbox answers instead of running. */
export const SKIPPED_ARCHIVED = { skipped: "sandbox_archived" } as const;

/**
 * Runs `fn` at the tenant's time: what a job naming one tenant does before its handler. A job
 * of an archived sandbox (enqueued before the archive) does not run.
 */
export async function atTenantTime<T>(
  db: Database,
  tenantId: string,
  fn: () => Promise<T>,
): Promise<T | typeof SKIPPED_ARCHIVED> {
  const state = await sandboxState(db, tenantId);
  if (!state) return fn();
  if (state.archivedAt) return SKIPPED_ARCHIVED;
  return runInClockScope(scopeOf(state), fn);
}

/** The underlying clock's time, whatever scope is in force here (a running sandbox clock counts from it). */
export function underlyingNow(clock: Clock): Date {
  return runInClockScope({}, () => clock.now());
}

/** A sandbox's time at the underlying instant `real`. */
export function testClockNow(state: TestClockState, real: Date): Date {
  return state.frozenAt ?? new Date(real.getTime() + state.offsetMs);
}
