import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFESTS } from "../src/app.js";
import type { AppDeps } from "../src/app-types.js";
import { PLATFORM_JOBS } from "../src/platform/jobs/worker.js";
import { manifestJobs } from "../src/platform/manifests.js";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "./helpers/app.js";
import { advanceTo, createSandbox } from "./helpers/sandbox.js";

/**
 * Every scheduled job type must honour the tenant's clock (issue 19): either it is the
 * cross-tenant sweep of a module timer (it skips sandboxes, and advancing a sandbox's clock
 * runs the timer at each due instant), or its data names one tenant and it runs at that
 * tenant's time. A new job that is neither fails here.
 */
const REAL_TIME_PLATFORM_JOBS: Record<string, string> = {
  [PLATFORM_JOBS.dispatchEvents]: "moves committed events to webhook deliveries: no business time decided",
  [PLATFORM_JOBS.deliverWebhooks]:
    "an integration's endpoint lives in real time: deliveries and their retries follow it, in sandboxes too",
  [PLATFORM_JOBS.runSchedules]: "enqueues live tenants' business schedules only (sandboxes' run on advance)",
  [PLATFORM_JOBS.runFileJob]: "runs one import or export now; its rows are stamped by the module's operation",
  [PLATFORM_JOBS.pruneFiles]: "storage housekeeping: a file's 7 days are real days",
  [PLATFORM_JOBS.pruneEvents]: "storage housekeeping: retention is real time",
  [PLATFORM_JOBS.pruneExpired]:
    "storage housekeeping: sessions and member-center links expire in real time, in sandboxes too",
  [PLATFORM_JOBS.notify]: "delivers a notice already decided at the tenant's time",
  [PLATFORM_JOBS.retryNotifications]:
    "the mail server and the phone live in real time: failed emails and SMS are retried on it, and a failed one's kept text is cleared after 7 real days, in sandboxes too",
};

let t: TestApp;
let live: TestTenant;
let sandbox: TestTenant;
const SANDBOX_START = "2030-01-01T00:00:00.000Z";

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t);
  sandbox = await createSandbox(t, live, SANDBOX_START);
});
afterAll(async () => t?.close());

describe("scheduled job types and the tenant clock", () => {
  const timers = MANIFESTS.flatMap((m) => m.timers ?? []);
  const crons = new Set(MANIFESTS.flatMap((m) => m.crons ?? []).map((c) => c.name));

  it("every module job is a timer's sweep or runs per tenant; platform jobs say why they run on real time", () => {
    const timerJobs = new Set(timers.map((timer) => timer.job));
    const jobs = MANIFESTS.flatMap((m) => m.jobs?.(t.deps) ?? []);
    expect(jobs.length).toBeGreaterThan(5);
    const neither = jobs.filter((job) => !timerJobs.has(job.name) && !job.perTenant).map((job) => job.name);
    expect(neither, "jobs that do not honour the tenant clock").toEqual([]);
    // A timer names a job that exists; one with a cron is a sweep across live tenants.
    for (const timer of timers) expect(jobs.map((j) => j.name)).toContain(timer.job);
    for (const job of jobs.filter((j) => crons.has(j.name)))
      expect(timerJobs.has(job.name), job.name).toBe(true);
    expect(Object.keys(REAL_TIME_PLATFORM_JOBS).sort()).toEqual(Object.values(PLATFORM_JOBS).sort());
  });

  it("a per-tenant job reads the sandbox's clock for a sandbox and the real one for a live tenant", async () => {
    const seen: Date[] = [];
    const recording: AppDeps = {
      ...t.deps,
      clock: {
        now: () => {
          const at = t.deps.clock.now();
          seen.push(at);
          return at;
        },
      },
    };
    const perTenant = manifestJobs(MANIFESTS, recording).filter((job) =>
      MANIFESTS.some((m) => (m.jobs?.(t.deps) ?? []).some((j) => j.name === job.name && j.perTenant)),
    );
    expect(perTenant.map((j) => j.name)).toContain("deposits.recheck");
    for (const job of perTenant) {
      const info = { id: "probe", name: job.name, retryCount: 0 };
      seen.length = 0;
      await job.handler({ tenantId: sandbox.tenantId }, info);
      expect(seen.length, job.name).toBeGreaterThan(0);
      expect(new Set(seen.map((d) => d.toISOString())), job.name).toEqual(new Set([SANDBOX_START]));
      seen.length = 0;
      await job.handler({ tenantId: live.tenantId }, info);
      expect(new Set(seen.map((d) => d.toISOString())), job.name).toEqual(
        new Set([t.clock.now().toISOString()]),
      );
    }
  });

  it("every timer's due columns are real columns (advancing reads them all)", async () => {
    expect(timers.length).toBeGreaterThanOrEqual(6);
    await advanceTo(t, sandbox, "2030-01-02T00:00:00Z");
  });
});
