import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Database round trips made on behalf of one request. The database layer counts every query
 * it sends; whatever runs in the request's async context (its operations, and a ledger batch
 * the request led) adds to the request's count, which `/metrics` reports per route.
 *
 * Following a request's async context takes an AsyncLocalStorage, and in Node 20 an enabled
 * one makes every promise the process creates, whoever's it is, call a JavaScript hook (V8's
 * promise hooks; a transfer makes some 55 promises). So only sampled requests are counted
 * (`RoundTripSampler`), and the storage is disabled again whenever no counted request is in
 * flight: the other requests pay nothing (ADR 0011).
 */
export interface RoundTrips {
  count: number;
}

const current = new AsyncLocalStorage<RoundTrips>();
let countedInFlight = 0;

/**
 * Runs `fn` (and everything it starts) counting into `counter`, until `fn`'s `release` is
 * called: the caller calls it once the counted work is over, since nothing here can tell when
 * the work `fn` started has ended. Releasing twice is harmless.
 */
export function countRoundTripsOf(counter: RoundTrips, fn: (release: () => void) => void): void {
  countedInFlight++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    countedInFlight--;
    // Work that outlives every release is not counted; the requests that follow pay nothing.
    if (countedInFlight === 0) current.disable();
  };
  current.run(counter, () => fn(release));
}

/** The counter in force here, if any. */
export function currentRoundTrips(): RoundTrips | undefined {
  return current.getStore();
}

/**
 * Runs `fn` counting into `counter` (or into nothing): for work started from one request's
 * context on behalf of another's. Free while no request is counted (see `countRoundTripsOf`).
 */
export function countingInto<T>(counter: RoundTrips | undefined, fn: () => T): T {
  return current.run(counter as RoundTrips, fn);
}

export function countRoundTrip(): void {
  const counter = current.getStore();
  if (counter) counter.count++;
}

/**
 * Which requests to count: about one per route per `everyMs` milliseconds (0: every request),
 * each chosen at a random place among the route's requests. Not simply the first one after
 * each interval: requests come in bursts (a ledger batch answers many at once, and their
 * clients send again together), and the first after a pause is the one that leads the next
 * batch, with all its round trips; picked that way, 80 % of the sample were such leaders.
 */
export class RoundTripSampler {
  private readonly routes = new Map<
    string,
    { seen: number; next: number; windowStart: number; inWindow: number; perWindow: number }
  >();
  private static readonly MAX_ROUTES = 10_000;

  constructor(
    private readonly everyMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  shouldCount(route: string, nowMs: number): boolean {
    if (this.everyMs === 0) return true;
    let r = this.routes.get(route);
    if (!r) {
      if (this.routes.size >= RoundTripSampler.MAX_ROUTES) this.routes.clear();
      r = { seen: 0, next: 0, windowStart: nowMs, inWindow: 0, perWindow: 1 };
      this.routes.set(route, r);
    }
    if (nowMs - r.windowStart >= this.everyMs) {
      r.perWindow = Math.max(1, r.inWindow);
      r.inWindow = 0;
      r.windowStart = nowMs;
    }
    r.inWindow++;
    r.seen++;
    if (r.seen < r.next) return false;
    // The next one to count: uniformly 1 to 2 × (the interval's requests) later, as many as
    // the last interval had, or this one so far if more (a route that has just become busy).
    r.next = r.seen + 1 + Math.floor(this.random() * 2 * Math.max(r.perWindow, r.inWindow));
    return true;
  }
}
