import type { Database, Tx } from "../../db/database.js";
import { type Clock, type ClockScope, runInClockScope } from "../../shared/clock.js";

/** What a sandbox's clock row says; live tenants have none. */
export interface TestClockState {
  frozenAt: Date | null;
  offsetMs: number;
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
    .select(["tenants.sandbox", "c.frozen_at", "c.offset_ms"])
    .where("tenants.id", "=", tenantId)
    .executeTakeFirst();
  if (!row?.sandbox) return null;
  return { frozenAt: row.frozen_at ?? null, offsetMs: Number(row.offset_ms ?? 0) };
}

export function scopeOf(state: TestClockState): ClockScope {
  return state.frozenAt ? { frozenAt: state.frozenAt } : { offsetMs: state.offsetMs };
}

/**
 * The clock scope a tenant's work runs under: none for a live tenant (one lookup per process),
 * its test clock for a sandbox (read each time: another process may have advanced it).
 */
export async function tenantClockScope(db: Database, tenantId: string): Promise<ClockScope | null> {
  if (LIVE.has(tenantId)) return null;
  const state = await db.tenantTx(tenantId, (trx) => readTestClock(trx, tenantId));
  if (state) return scopeOf(state);
  if (LIVE.size >= MAX_REMEMBERED) LIVE.clear();
  LIVE.add(tenantId);
  return null;
}

/** Runs `fn` at the tenant's time: what a job naming one tenant does before its handler. */
export async function atTenantTime<T>(db: Database, tenantId: string, fn: () => Promise<T>): Promise<T> {
  const scope = await tenantClockScope(db, tenantId);
  return scope ? runInClockScope(scope, fn) : fn();
}

/** The underlying clock's time, whatever scope is in force here (a running sandbox clock counts from it). */
export function underlyingNow(clock: Clock): Date {
  return runInClockScope({}, () => clock.now());
}

/** A sandbox's time at the underlying instant `real`. */
export function testClockNow(state: TestClockState, real: Date): Date {
  return state.frozenAt ?? new Date(real.getTime() + state.offsetMs);
}
