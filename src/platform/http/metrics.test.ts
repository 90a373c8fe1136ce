import { describe, expect, it } from "vitest";
import { gcPausesOf, HttpMetrics, latencyBoundBetween, routeLatencyBuckets } from "./metrics.js";

const db = { pool: { options: { max: 10 }, totalCount: 0, idleCount: 0, waitingCount: 0 } } as never;

describe("reading a route's latency back from /metrics", () => {
  it("gives the bound under which a share of the requests between two readings finished", () => {
    const metrics = new HttpMetrics();
    const read = () => routeLatencyBuckets(metrics.render(db), "POST", "/v1/checkout/quotes");
    expect(read()).toEqual([]);
    // Before the window: slow requests that must not count in it.
    for (let i = 0; i < 50; i++) metrics.observe("POST", "/v1/checkout/quotes", 200, 3, 1);
    metrics.observe("GET", "/v1/other", 200, 0.001, 1);
    const before = read();
    expect(before.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 50 });
    // The window: 98 quick, 1 at 0.2 s, 1 at 0.7 s.
    for (let i = 0; i < 98; i++) metrics.observe("POST", "/v1/checkout/quotes", 200, 0.02, 1);
    metrics.observe("POST", "/v1/checkout/quotes", 200, 0.2, 1);
    metrics.observe("POST", "/v1/checkout/quotes", 200, 0.7, 1);
    const after = read();
    expect(latencyBoundBetween(before, after, 0.5)).toBe(0.025);
    expect(latencyBoundBetween(before, after, 0.99)).toBe(0.25);
    expect(latencyBoundBetween(before, after, 1)).toBe(1);
    expect(latencyBoundBetween(after, after, 0.5)).toBeNull();
    // Counted from nothing, the earlier slow ones dominate.
    expect(latencyBoundBetween([], after, 0.9)).toBe(5);
  });
});

describe("garbage collection in /metrics", () => {
  it("counts the process's collections by kind, with their pause time, and the heap in use", async () => {
    const metrics = new HttpMetrics();
    const before = gcPausesOf(metrics.render(db), "minor");
    // Garbage that escapes (kept in a ring, so the compiler cannot leave it unallocated) fills
    // the young generation until a scavenge is reported. The observer hears of collections
    // on a later turn of the event loop, so each round of garbage is followed by one.
    const ring: object[] = new Array(1024);
    let after = before;
    for (let round = 0; round < 100 && after.count === before.count; round++) {
      for (let i = 0; i < 200_000; i++) ring[i & 1023] = { i, text: `garbage ${i}` };
      await new Promise((resolve) => setTimeout(resolve, 1));
      after = gcPausesOf(metrics.render(db), "minor");
    }
    expect(ring.length).toBe(1024);
    expect(after.count).toBeGreaterThan(before.count);
    expect(after.seconds).toBeGreaterThan(before.seconds);
    const text = metrics.render(db);
    expect(text).toMatch(/^nodejs_gc_duration_seconds_bucket\{kind="minor",le="\+Inf"\} \d+$/m);
    const heap = Number(/^nodejs_heap_size_used_bytes (\d+)$/m.exec(text)?.[1]);
    expect(heap).toBeGreaterThan(1_000_000);
    // A second app in the same process reads the same collections: one observer per process.
    expect(gcPausesOf(new HttpMetrics().render(db), "minor").count).toBeGreaterThanOrEqual(after.count);
  });
});
