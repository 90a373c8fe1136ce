import type { Database } from "../../db/database.js";

/** Latency buckets in seconds (Prometheus convention). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/**
 * Request counts and latency histograms per route in Prometheus text format. Kept by
 * hand: a dozen lines cheaper than a client library on the hot path.
 */
export class HttpMetrics {
  private readonly latency = new Map<string, Series>();
  private readonly requests = new Map<string, number>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const requestKey = `method="${method}",route="${route}",status="${status}"`;
    this.requests.set(requestKey, (this.requests.get(requestKey) ?? 0) + 1);
    const latencyKey = `method="${method}",route="${route}"`;
    let series = this.latency.get(latencyKey);
    if (!series) {
      series = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.latency.set(latencyKey, series);
    }
    series.count++;
    series.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) series.buckets[i]!++;
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
    for (const [labels, s] of this.latency) {
      BUCKETS.forEach((le, i) => {
        lines.push(`vouchsafe_http_request_duration_seconds_bucket{${labels},le="${le}"} ${s.buckets[i]}`);
      });
      lines.push(`vouchsafe_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      lines.push(`vouchsafe_http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      lines.push(`vouchsafe_http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    const pool = db.pool;
    lines.push(
      "# HELP vouchsafe_db_pool_connections Database pool connections by state",
      "# TYPE vouchsafe_db_pool_connections gauge",
      `vouchsafe_db_pool_connections{state="total"} ${pool.totalCount}`,
      `vouchsafe_db_pool_connections{state="idle"} ${pool.idleCount}`,
      `vouchsafe_db_pool_connections{state="waiting"} ${pool.waitingCount}`,
      "# HELP process_resident_memory_bytes Resident memory size in bytes",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
