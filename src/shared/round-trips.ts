import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Database round trips made on behalf of one request. The database layer counts every query
 * it sends; whatever runs in the request's async context (its operations, and a ledger batch
 * the request led) adds to the request's count, which `/metrics` reports per route.
 */
export interface RoundTrips {
  count: number;
}

const current = new AsyncLocalStorage<RoundTrips>();

export function runCountingRoundTrips<T>(counter: RoundTrips, fn: () => T): T {
  return current.run(counter, fn);
}

export function countRoundTrip(): void {
  const counter = current.getStore();
  if (counter) counter.count++;
}
