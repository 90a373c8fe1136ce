import { isIPv6 } from "node:net";
import type { Clock } from "../../shared/clock.js";
import { DomainError } from "../../shared/errors.js";

const WINDOW_MS = 60_000;
/** Windows kept at once: about 3 MB, whatever the number of addresses that try. */
const MAX_TRACKED = 50_000;

/**
 * A refusal for trying too often; the answer carries Retry-After (see the error handler in
 * app.ts), so a well-behaved client waits exactly as long as needed.
 */
export class TooManyAttempts extends DomainError<"rate_limited"> {
  constructor(
    readonly retryAfterSeconds: number,
    what: string,
  ) {
    super("rate_limited", `Too many ${what}; retry after ${retryAfterSeconds} s`);
  }
}

/**
 * The client an address-based limit counts against. An IPv6 subscriber is given a whole /64
 * (and picks a new address in it at will), so IPv6 counts by its /64; an IPv4-mapped IPv6
 * address counts as the IPv4 address it is.
 */
export function clientAddressKey(ip: string): string {
  // Every request with an API key asks, and most addresses are IPv4: no pattern needed.
  if (!ip.includes(":")) return ip;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const address = ip.split("%")[0]!;
  if (!isIPv6(address)) return ip;
  // An embedded IPv4 tail stands for two groups; only the first four groups are kept anyway.
  const groups = (part: string) =>
    part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g]));
  const gap = address.indexOf("::");
  let all: string[];
  if (gap < 0) {
    all = groups(address);
  } else {
    const head = groups(address.slice(0, gap));
    const tail = groups(address.slice(gap + 2));
    all = [...head, ...new Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  }
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

/**
 * Fixed one-minute windows of attempts per key (a client address, an account), in memory:
 * each process counts its own. `hit` counts an attempt and says whether it went over the
 * limit; `retryAfter` only asks, for limits that count failures alone (the caller hits after a
 * failure). The number of windows kept is bounded; when full, windows that are not at their
 * limit are forgotten first, so a client cannot free itself by making many others try.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { startedMs: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
    private readonly maxTracked = MAX_TRACKED,
  ) {}

  /** Seconds until `key` may try again once it has used its allowance, else 0. Counts nothing. */
  retryAfter(key: string): number {
    if (this.perMinute <= 0) return 0;
    const nowMs = this.clock.now().getTime();
    const window = this.windows.get(key);
    if (!window || nowMs - window.startedMs >= WINDOW_MS || window.count < this.perMinute) return 0;
    return secondsLeft(window.startedMs, nowMs);
  }

  /** Counts an attempt; returns the seconds to wait when it is over the limit, else 0. */
  hit(key: string): number {
    if (this.perMinute <= 0) return 0;
    const nowMs = this.clock.now().getTime();
    let window = this.windows.get(key);
    if (!window || nowMs - window.startedMs >= WINDOW_MS) {
      // Re-inserted, so the map stays in the order windows started.
      this.windows.delete(key);
      if (this.windows.size >= this.maxTracked) this.makeRoom(nowMs);
      window = { startedMs: nowMs, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.perMinute) return 0;
    return secondsLeft(window.startedMs, nowMs);
  }

  /** How many windows are kept (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private makeRoom(nowMs: number): void {
    for (const [key, window] of this.windows) {
      if (nowMs - window.startedMs >= WINDOW_MS) this.windows.delete(key);
    }
    if (this.windows.size < this.maxTracked) return;
    // Full of live windows (many addresses at once): those below their limit hold nothing back.
    for (const [key, window] of this.windows) {
      if (window.count < this.perMinute) this.windows.delete(key);
    }
    // Still nearly full, every one at its limit: the oldest half goes, the map stays bounded.
    if (this.windows.size < this.maxTracked * 0.9) return;
    let excess = this.windows.size - Math.floor(this.maxTracked / 2);
    for (const key of this.windows.keys()) {
      if (excess-- <= 0) break;
      this.windows.delete(key);
    }
  }
}

function secondsLeft(startedMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((startedMs + WINDOW_MS - nowMs) / 1000));
}
