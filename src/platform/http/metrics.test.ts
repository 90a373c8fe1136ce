import { describe, expect, it } from "vitest";
import { HttpMetrics, latencyBoundBetween, routeLatencyBuckets } from "./metrics.js";

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
