import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/db.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { ManualClock } from "../../shared/clock.js";
import { createTenant } from "../tenants.js";
import { deadLetterQueue, JobRunner } from "./job-runner.js";
import { deleteSchedule, nextRunAt, runDue, upsertSchedule } from "./schedules.js";

let t: TestDatabase;
let tenantId: string;
const runners: JobRunner[] = [];

function runner(): JobRunner {
  const r = new JobRunner({ connectionString: t.url, pollingIntervalSeconds: 0.5 });
  runners.push(r);
  return r;
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenantId = (await createTenant(t.db, { name: "Jobs", timezone: "Asia/Shanghai" }, new Date())).tenantId;
});

afterAll(async () => {
  for (const r of runners) await r.stop(5);
  await t.drop();
});

async function jobState(r: JobRunner, name: string, id: string) {
  return (await r.getJob(name, id))?.state;
}

describe("job runner", () => {
  it("retries a failing job with backoff until it succeeds", async () => {
    const r = runner();
    const attempts: number[] = [];
    r.define<{ tenantId: string }>({
      name: "test.flaky",
      retryLimit: 3,
      retryDelaySeconds: 1,
      retryBackoff: true,
      handler: async (_data, job) => {
        attempts.push(job.retryCount);
        if (job.retryCount < 2) throw new Error(`flaky attempt ${job.retryCount}`);
      },
    });
    await r.start({ work: true });
    const id = await r.send("test.flaky", { tenantId });
    expect(id).toBeTruthy();
    await waitFor(
      async () => (await jobState(r, "test.flaky", id!)) === "completed",
      "flaky job to complete",
    );
    expect(attempts).toEqual([0, 1, 2]);
  });

  it("moves a job that exhausts its retries to failed and the dead-letter queue; admin retry re-runs it", async () => {
    const r = runner();
    let healthy = false;
    let runs = 0;
    r.define<{ tenantId: string }>({
      name: "test.broken",
      retryLimit: 1,
      retryDelaySeconds: 1,
      handler: async () => {
        runs++;
        if (!healthy) throw new Error("upstream refused the request");
      },
    });
    await r.start({ work: true });
    const id = await r.send("test.broken", { tenantId });
    await waitFor(async () => (await jobState(r, "test.broken", id!)) === "failed", "job to fail");
    expect(runs).toBe(2);
    expect(await r.queueSize(deadLetterQueue("test.broken"))).toBe(1);

    const failed = await r.failedJobs(tenantId);
    expect(failed).toEqual([
      expect.objectContaining({
        id,
        name: "test.broken",
        error: "upstream refused the request",
        retry_count: 1,
      }),
    ]);
    expect(await r.failedJobs("ten_other")).toEqual([]);
    expect(await r.retry("ten_other", id!)).toBe(false);

    healthy = true;
    expect(await r.retry(tenantId, id!)).toBe(true);
    await waitFor(
      async () => (await jobState(r, "test.broken", id!)) === "completed",
      "retried job to complete",
    );
    expect(await r.failedJobs(tenantId)).toEqual([]);
  });

  it("refuses a second job with the same singleton key while the first is queued", async () => {
    const r = runner();
    r.define({ name: "test.short", policy: "short", handler: async () => {} });
    r.define({ name: "test.unique", handler: async () => {} });
    await r.start({ work: false });
    expect(await r.send("test.short", { n: 1 }, { singletonKey: "acct_1" })).toBeTruthy();
    expect(await r.send("test.short", { n: 2 }, { singletonKey: "acct_1" })).toBeNull();
    expect(await r.send("test.short", { n: 3 }, { singletonKey: "acct_2" })).toBeTruthy();
    // Unique per time slot on an ordinary queue.
    expect(await r.send("test.unique", {}, { singletonKey: "k", uniqueSeconds: 3600 })).toBeTruthy();
    expect(await r.send("test.unique", {}, { singletonKey: "k", uniqueSeconds: 3600 })).toBeNull();
  });

  it("never runs one job twice when two runners work the same queue", async () => {
    const seen: string[] = [];
    const a = runner();
    const b = runner();
    for (const r of [a, b]) {
      r.define<{ n: number }>({
        name: "test.shared",
        concurrency: 4,
        handler: async (data) => {
          seen.push(String(data.n));
        },
      });
    }
    await a.start({ work: true });
    await b.start({ work: true });
    for (let n = 0; n < 40; n++) await a.send("test.shared", { n });
    await waitFor(() => seen.length >= 40, "all shared jobs");
    const rows = await sql<{ c: number }>`
      select count(*)::int as c from pgboss.job where name = 'test.shared' and state = 'completed'`.execute(
      t.owner,
    );
    expect(rows.rows[0]!.c).toBe(40);
    expect(new Set(seen).size).toBe(40);
    expect(seen.length).toBe(40);
  });
});

describe("a job queue whose statements fail", () => {
  it("asks again for a job's completion that was cancelled, and goes on working", async () => {
    const r = runner();
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    const ran: number[] = [];
    r.define<{ n: number }>({
      name: "test.completion-cancelled",
      handler: async (data, job) => {
        ran.push(data.n);
        // Hold the job's row, so its completion waits on it and can be cancelled there.
        if (data.n === 1) {
          await holder.query("begin");
          await holder.query("select id from pgboss.job where id = $1 for update", [job.id]);
        }
        return { n: data.n };
      },
    });
    await r.start({ work: true });
    try {
      const first = await r.send("test.completion-cancelled", { n: 1 });
      const waiting = await waitFor(async () => {
        const rows = await sql<{ pid: number }>`
          select pid from pg_stat_activity where datname = ${t.name} and application_name = 'vouchsafe-jobs'
            and wait_event_type = 'Lock'`.execute(t.owner);
        return rows.rows[0]?.pid;
      }, "the completion to wait on the held row");
      await sql`select pg_cancel_backend(${waiting})`.execute(t.owner);
      await holder.query("commit");
      await waitFor(
        async () => (await jobState(r, "test.completion-cancelled", first!)) === "completed",
        "the cancelled completion to be asked again",
      );
      expect((await r.getJob("test.completion-cancelled", first!))?.output).toEqual({ n: 1 });
      const second = await r.send("test.completion-cancelled", { n: 2 });
      await waitFor(
        async () => (await jobState(r, "test.completion-cancelled", second!)) === "completed",
        "the next job",
      );
      expect(ran).toEqual([1, 2]);
    } finally {
      await holder.end();
    }
  });
});

describe("clock-driven schedules", () => {
  it.each([
    [
      "every 20 minutes",
      { every_minutes: 20 },
      "Asia/Shanghai",
      "2026-03-01T01:05:00Z",
      "2026-03-01T01:20:00Z",
    ],
    [
      "every 20 minutes across midnight",
      { every_minutes: 20 },
      "UTC",
      "2026-03-01T23:50:00Z",
      "2026-03-02T00:00:00Z",
    ],
    [
      "daily 09:00 Shanghai, later today",
      { daily_at: "09:00" },
      "Asia/Shanghai",
      "2026-03-01T00:30:00Z",
      "2026-03-01T01:00:00Z",
    ],
    [
      "daily 09:00 Shanghai, tomorrow",
      { daily_at: "09:00" },
      "Asia/Shanghai",
      "2026-03-01T01:00:00Z",
      "2026-03-02T01:00:00Z",
    ],
    [
      "daily 09:00 New York across DST start",
      { daily_at: "09:00" },
      "America/New_York",
      "2026-03-07T14:00:00Z",
      "2026-03-08T13:00:00Z",
    ],
    [
      "daily 02:30 New York on the skipped hour",
      { daily_at: "02:30" },
      "America/New_York",
      "2026-03-08T05:00:00Z",
      "2026-03-08T07:30:00Z",
    ],
    [
      "weekly Monday 10:00",
      { weekly_on: 1, at: "10:00" },
      "UTC",
      "2026-03-04T12:00:00Z",
      "2026-03-09T10:00:00Z",
    ],
    [
      "monthly on the 31st, clamped in February",
      { monthly_on: 31, at: "00:00" },
      "UTC",
      "2026-02-01T00:00:00Z",
      "2026-02-28T00:00:00Z",
    ],
  ] as const)("%s", (_name, spec, zone, after, expected) => {
    expect(nextRunAt(spec, new Date(after), zone).toISOString()).toBe(new Date(expected).toISOString());
  });

  it("runs a schedule when the clock reaches it, once, in the tenant's timezone", async () => {
    const clock = new ManualClock("2026-03-01T00:55:00Z"); // 08:55 in Shanghai
    const enqueued: { job: string; data: Record<string, unknown>; key: string }[] = [];
    const enqueue = async (_trx: unknown, job: string, data: Record<string, unknown>, key: string) => {
      enqueued.push({ job, data, key });
    };
    await t.db.tenantTx(tenantId, (trx) =>
      upsertSchedule(
        trx,
        tenantId,
        {
          key: "morning-report",
          jobName: "test.report",
          spec: { daily_at: "09:00" },
          data: { kind: "daily" },
        },
        clock.now(),
      ),
    );
    expect(await runDue(t.db, enqueue, clock.now())).toEqual([]);

    clock.advanceMinutes(5); // 09:00 Shanghai
    const runs = await runDue(t.db, enqueue, clock.now());
    expect(runs).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({
      job: "test.report",
      data: {
        kind: "daily",
        tenantId,
        scheduleKey: "morning-report",
        scheduledFor: "2026-03-01T01:00:00.000Z",
      },
    });
    // Same instant again: nothing more is due.
    expect(await runDue(t.db, enqueue, clock.now())).toEqual([]);

    // Two days pass while the service is down: the missed run happens once, then the next is tomorrow.
    clock.advanceDays(2);
    expect(await runDue(t.db, enqueue, clock.now())).toHaveLength(1);
    const schedule = await t.owner
      .selectFrom("job_schedules")
      .select("next_run_at")
      .where("key", "=", "morning-report")
      .executeTakeFirstOrThrow();
    expect(schedule.next_run_at.toISOString()).toBe("2026-03-04T01:00:00.000Z");
    await t.db.tenantTx(tenantId, (trx) => deleteSchedule(trx, tenantId, "morning-report"));
  });

  it("two schedulers at the same instant enqueue each due run once, and pg-boss executes it", async () => {
    const clock = new ManualClock("2026-05-01T00:00:00Z");
    const r = runner();
    const handled: Record<string, unknown>[] = [];
    r.define<Record<string, unknown>>({
      name: "test.recheck",
      handler: async (data) => {
        handled.push(data);
      },
    });
    await r.start({ work: true });
    await t.db.tenantTx(tenantId, async (trx) => {
      for (let i = 0; i < 5; i++) {
        await upsertSchedule(
          trx,
          tenantId,
          { key: `recheck-${i}`, jobName: "test.recheck", spec: { every_minutes: 20 }, data: { i } },
          clock.now(),
        );
      }
    });
    clock.advanceMinutes(20);
    const enqueue = (
      trx: Parameters<Parameters<typeof runDue>[1]>[0],
      job: string,
      data: object,
      key: string,
    ) => r.send(job, data, { trx, singletonKey: key, uniqueSeconds: 60 });
    const [x, y] = await Promise.all([
      runDue(t.db, enqueue, clock.now()),
      runDue(t.db, enqueue, clock.now()),
    ]);
    expect(x.length + y.length).toBe(5);
    await waitFor(() => handled.length >= 5, "scheduled jobs to run");
    expect(handled.map((d) => d.i).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(handled[0]).toMatchObject({ tenantId, scheduledFor: "2026-05-01T00:20:00.000Z" });
  });
});
