import { constants, PerformanceObserver } from "node:perf_hooks";
import type { Database } from "../../db/database.js";
import type { RoundTrips } from "../../shared/round-trips.js";

/** Latency buckets in seconds (Prometheus convention). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Database round trips per request. */
const ROUND_TRIP_BUCKETS = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64];

const roundTrips = new WeakMap<object, RoundTrips>();

/** The round-trip counter of one request (made on first use; the request's hooks share it). */
export function roundTripsOf(request: object): RoundTrips {
  let counter = roundTrips.get(request);
  if (!counter) {
    counter = { count: 0 };
    roundTrips.set(request, counter);
  }
  return counter;
}

/** The round trips counted for a request, if it was one of those sampled. */
export function countedRoundTrips(request: object): number | undefined {
  return roundTrips.get(request)?.count;
}

/**
 * What a `/metrics` text says of one route's round trips: their total and the requests counted
 * (0 and 0 when the route has none yet). For the benches and tests that read the text.
 */
export function routeRoundTrips(
  metricsText: string,
  method: string,
  route: string,
): { sum: number; count: number } {
  const labels = `method="${method}",route="${route}"`;
  return {
    sum: seriesValue(metricsText, "vouchsafe_db_round_trips_per_request_sum", labels),
    count: seriesValue(metricsText, "vouchsafe_db_round_trips_per_request_count", labels),
  };
}

/** The value of one series (a name and its exact labels) in a `/metrics` text; 0 when it has none yet. */
function seriesValue(metricsText: string, name: string, labels: string): number {
  const prefix = `${name}{${labels}} `;
  const line = metricsText.split("\n").find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

/** A latency histogram's cumulative counts, one per upper bound in seconds (the last Infinity). */
export type LatencyBuckets = { le: number; count: number }[];

/** What a `/metrics` text says of one route's latency (empty when the route has none yet). */
export function routeLatencyBuckets(metricsText: string, method: string, route: string): LatencyBuckets {
  const prefix = `vouchsafe_http_request_duration_seconds_bucket{method="${method}",route="${route}",le="`;
  const buckets: LatencyBuckets = [];
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const [le, count] = line.slice(prefix.length).split('"} ');
    buckets.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), count: Number(count) });
  }
  return buckets;
}

/**
 * The smallest upper bound under which at least `quantile` of the requests counted between
 * two readings of `routeLatencyBuckets` finished (Infinity when only the last bucket holds
 * them; null when there were none). A bound, not an estimate: Prometheus buckets are coarse.
 */
export function latencyBoundBetween(
  before: LatencyBuckets,
  after: LatencyBuckets,
  quantile: number,
): number | null {
  const earlier = new Map(before.map((b) => [b.le, b.count]));
  const counted = after.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) }));
  const total = counted.at(-1)?.count ?? 0;
  if (total === 0) return null;
  return counted.find((b) => b.count >= quantile * total)?.le ?? Number.POSITIVE_INFINITY;
}

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

function observeInto(map: Map<string, Series>, key: string, bounds: number[], value: number): void {
  let series = map.get(key);
  if (!series) {
    series = { count: 0, sum: 0, buckets: bounds.map(() => 0) };
    map.set(key, series);
  }
  series.count++;
  series.sum += value;
  for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) series.buckets[i]!++;
}

function renderHistogram(lines: string[], name: string, map: Map<string, Series>, bounds: number[]): void {
  for (const [labels, s] of map) {
    bounds.forEach((le, i) => {
      lines.push(`${name}_bucket{${labels},le="${le}"} ${s.buckets[i]}`);
    });
    lines.push(`${name}_bucket{${labels},le="+Inf"} ${s.count}`);
    lines.push(`${name}_sum{${labels}} ${s.sum}`);
    lines.push(`${name}_count{${labels}} ${s.count}`);
  }
}

/** Garbage-collection pause buckets in seconds (prom-client's, for the same dashboards). */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};
/** The process's garbage-collection pauses by kind: one observer per process, whatever its apps. */
const gcPauses = new Map<string, Series>();
let gcObserved = false;

/**
 * Full (major) collections stall every request in flight: under the uniform transfer bench
 * most moments when all clients were answered late at once followed one (ADR 0012). Their
 * count and pause time per kind are in /metrics so that they can be seen without a trace.
 */
function observeGarbageCollection(): void {
  if (gcObserved) return;
  gcObserved = true;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = GC_KINDS[detail?.kind ?? -1] ?? "other";
      observeInto(gcPauses, `kind="${kind}"`, GC_BUCKETS, entry.duration / 1000);
    }
  }).observe({ entryTypes: ["gc"] });
}

/** Count and total seconds of the garbage-collection pauses of one kind, read from a /metrics text. */
export function gcPausesOf(metricsText: string, kind: string): { count: number; seconds: number } {
  const labels = `kind="${kind}"`;
  return {
    count: seriesValue(metricsText, "nodejs_gc_duration_seconds_count", labels),
    seconds: seriesValue(metricsText, "nodejs_gc_duration_seconds_sum", labels),
  };
}

/**
 * Request counts and latency histograms per route in Prometheus text format. Kept by
 * hand: a dozen lines cheaper than a client library on the hot path.
 */
export class HttpMetrics {
  private readonly latency = new Map<string, Series>();
  private readonly requests = new Map<string, number>();
  private readonly roundTrips = new Map<string, Series>();

  constructor() {
    observeGarbageCollection();
  }

  /** `roundTrips` is undefined for a request whose round trips were not counted. */
  observe(
    method: string,
    route: string,
    status: number,
    seconds: number,
    roundTrips: number | undefined,
  ): void {
    const requestKey = `method="${method}",route="${route}",status="${status}"`;
    this.requests.set(requestKey, (this.requests.get(requestKey) ?? 0) + 1);
    const routeKey = `method="${method}",route="${route}"`;
    observeInto(this.latency, routeKey, BUCKETS, seconds);
    if (roundTrips !== undefined) observeInto(this.roundTrips, routeKey, ROUND_TRIP_BUCKETS, roundTrips);
  }

  render(db: Database): string {
    const lines: string[] = [
      "# HELP vouchsafe_http_requests_total HTTP requests by route and status",
      "# TYPE vouchsafe_http_requests_total counter",
    ];
    for (const [labels, count] of this.requests)
      lines.push(`vouchsafe_http_requests_total{${labels}} ${count}`);
    lines.push(
      "# HELP vouchsafe_http_request_duration_seconds HTTP request latency by route",
      "# TYPE vouchsafe_http_request_duration_seconds histogram",
    );
    renderHistogram(lines, "vouchsafe_http_request_duration_seconds", this.latency, BUCKETS);
    lines.push(
      "# HELP vouchsafe_db_round_trips_per_request Database round trips each sampled request made (a ledger batch counts for the request that led it; VOUCHSAFE_ROUND_TRIP_SAMPLE_MS)",
      "# TYPE vouchsafe_db_round_trips_per_request histogram",
    );
    renderHistogram(lines, "vouchsafe_db_round_trips_per_request", this.roundTrips, ROUND_TRIP_BUCKETS);
    const pool = db.pool;
    lines.push(
      "# HELP vouchsafe_db_pool_max_connections The most connections the pool opens",
      "# TYPE vouchsafe_db_pool_max_connections gauge",
      `vouchsafe_db_pool_max_connections ${pool.options.max}`,
      "# HELP vouchsafe_db_pool_connections Database pool connections by state",
      "# TYPE vouchsafe_db_pool_connections gauge",
      `vouchsafe_db_pool_connections{state="total"} ${pool.totalCount}`,
      `vouchsafe_db_pool_connections{state="idle"} ${pool.idleCount}`,
      `vouchsafe_db_pool_connections{state="waiting"} ${pool.waitingCount}`,
      "# HELP nodejs_gc_duration_seconds Garbage-collection pauses of this process by kind",
      "# TYPE nodejs_gc_duration_seconds histogram",
    );
    renderHistogram(lines, "nodejs_gc_duration_seconds", gcPauses, GC_BUCKETS);
    const memory = process.memoryUsage();
    lines.push(
      "# HELP nodejs_heap_size_used_bytes JavaScript heap in use, in bytes",
      "# TYPE nodejs_heap_size_used_bytes gauge",
      `nodejs_heap_size_used_bytes ${memory.heapUsed}`,
      "# HELP process_resident_memory_bytes Resident memory size in bytes",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${memory.rss}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
