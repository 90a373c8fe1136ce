import { AsyncLocalStorage } from "node:async_hooks";

/**
 * All business time comes from a Clock. Production uses the system clock; tests
 * use a ManualClock and move it instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

/**
 * A sandbox tenant's test clock, in force for everything one request or job of that tenant
 * does: frozen at an instant, or running `offsetMs` ahead of the underlying clock. Live
 * tenants run without one. Every Clock reads it, so operations, the ledger and jobs that were
 * handed `deps.clock` follow the tenant's time without being told about sandboxes.
 */
export interface ClockScope {
  frozenAt?: Date;
  offsetMs?: number;
}

const scopes = new AsyncLocalStorage<ClockScope>();

/**
 * Runs `fn` (and everything it starts) under `scope`, or under none. No scope where none is
 * in force costs nothing: the storage stays disabled, and with it the promise hooks that an
 * enabled one makes every promise of the process pay (ADR 0011).
 */
export function runInClockScope<T>(scope: ClockScope | undefined, fn: () => T): T {
  return scopes.run(scope as ClockScope, fn);
}

/**
 * The underlying clock's time, whatever tenant's test clock is in force: for what follows
 * real time even in a sandbox (the lifetimes of credentials, which are checked before any
 * tenant's clock applies).
 */
export function realNow(clock: Clock): Date {
  return runInClockScope(undefined, () => clock.now());
}

/** The scope in force here, if any (a request's, filled in once its tenant is known). */
export function currentClockScope(): ClockScope | undefined {
  return scopes.getStore();
}

function scoped(underlying: number): Date {
  const scope = scopes.getStore();
  if (scope?.frozenAt) return new Date(scope.frozenAt.getTime());
  return new Date(underlying + (scope?.offsetMs ?? 0));
}

export const systemClock: Clock = { now: () => scoped(Date.now()) };

export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = "2026-01-01T00:00:00Z") {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return scoped(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): Date {
    this.current += ms;
    return new Date(this.current);
  }
  advanceMinutes(minutes: number): Date {
    return this.advance(minutes * 60_000);
  }
  advanceDays(days: number): Date {
    return this.advance(days * 86_400_000);
  }
}

/** Whether two scopes give the same time: no scope, or the same frozen instant and offset. */
export function sameClockScope(a: ClockScope | undefined, b: ClockScope | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.frozenAt?.getTime() === b.frozenAt?.getTime() && a.offsetMs === b.offsetMs;
}
