import { sql } from "kysely";
import type { AppDeps } from "../../app-types.js";
import type { Db, SqlValue, Tx } from "../../db/database.js";
import { runInClockScope } from "../../shared/clock.js";
import type { JobDefinition } from "../jobs/job-runner.js";
import { nextRunAt, type ScheduleSpec } from "../jobs/schedules.js";
import { installedManifests } from "../manifests.js";
import { tenantZone } from "../tenants.js";
import { SandboxError } from "./sandbox.errors.js";
import { readTestClock, type TestClockState, testClockNow, underlyingNow } from "./tenant-clock.js";
import { type TenantTimer, tenantTimers } from "./timers.js";

/** One call moves a test clock at most this far (two years, leap day included). */
export const MAX_ADVANCE_MS = 731 * 86_400_000;
/**
 * Due instants one call runs. A jump with more (the deposit re-check alone is 72 a day) stops
 * at the last instant it finished and says so; the caller advances again from there.
 */
export const MAX_ADVANCE_STEPS = 1500;
/** Business schedules of one tenant an advance looks at (a tenant has a handful). */
const MAX_SCHEDULES = 100;

export interface AdvanceResult {
  from: Date;
  to: Date;
  /** Where the clock stands: `to`, or the last instant run when the step bound was reached. */
  reached: Date;
  complete: boolean;
  /** Due instants run, and how many times each job ran. */
  steps: number;
  runs: Record<string, number>;
  /** The clock after the advance. */
  state: TestClockState;
}

interface ScheduleRow {
  id: string;
  job_name: string;
  data: Record<string, unknown>;
  spec: ScheduleSpec;
  timezone: string | null;
  next_run_at: Date;
}

/**
 * Advances a sandbox's test clock to `to`, running in time order every scheduled job and
 * timeout of the tenant that falls due on the way: at each due instant the clock stands at
 * that instant (every clock the work reads says so), business schedules due then run (the
 * deposit re-check every 20 minutes, so daily counters roll over at the tenant's midnight
 * between two runs), then each module timer with a due row (expiries, hold and payment
 * timeouts). The clock row is locked for the whole advance, so two advances of one sandbox
 * run one after the other.
 */
export async function advanceTestClock(deps: AppDeps, tenantId: string, to: Date): Promise<AdvanceResult> {
  return deps.db.tenantTx(tenantId, async (lock) => {
    await lock
      .selectFrom("tenant_clocks")
      .select("tenant_id")
      .where("tenant_id", "=", tenantId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const state = (await readTestClock(lock, tenantId)) as TestClockState;
    // The archive locks this row too: an advance that waited for it must not run the archived
    // sandbox's jobs.
    if (state.archivedAt) throw new SandboxError("sandbox_archived", "This sandbox is archived");
    const real = underlyingNow(deps.clock);
    const from = testClockNow(state, real);
    // The route checked `to` against the time before this lock: an advance that held it may
    // have moved the clock past `to` meanwhile, and stepping "forward" to it would move it back.
    if (to < from) {
      throw new SandboxError(
        "clock_backwards",
        `The clock is at ${from.toISOString()}: it moves forward only`,
      );
    }
    if (to.getTime() - from.getTime() > MAX_ADVANCE_MS) {
      throw new SandboxError("advance_too_far", "One advance moves the clock at most two years");
    }
    const timers = tenantTimers();
    const timerJobs = new Set(timers.map((t) => t.job));
    const handlers = scheduledJobHandlers(deps);
    const zone = await tenantZone(lock, tenantId);
    const lastRun = new Map<string, Date>();
    const runs: Record<string, number> = {};
    const count = (name: string) => {
      runs[name] = (runs[name] ?? 0) + 1;
    };
    let cursor = from;
    let steps = 0;
    let complete = true;
    for (;;) {
      const [all, timerDue] = await dueInstants(deps, tenantId, timers, lastRun);
      const schedules = all.filter((s) => !timerJobs.has(s.job_name));
      const candidates = [...schedules.map((s) => s.next_run_at), ...timerDue.values()];
      if (candidates.length === 0) break;
      const earliest = new Date(Math.max(cursor.getTime(), Math.min(...candidates.map((d) => d.getTime()))));
      if (earliest > to) break;
      if (steps >= MAX_ADVANCE_STEPS) {
        complete = false;
        break;
      }
      steps++;
      cursor = earliest;
      const at = cursor;
      await runInClockScope({ frozenAt: at }, async () => {
        for (const schedule of schedules.filter((s) => s.next_run_at <= at)) {
          const handler = handlers.get(schedule.job_name);
          if (handler) {
            await handler.handler(
              { ...schedule.data, tenantId, scheduledFor: schedule.next_run_at.toISOString() },
              { id: `advance:${schedule.id}@${at.toISOString()}`, name: schedule.job_name, retryCount: 0 },
            );
            count(schedule.job_name);
          }
          await moveSchedule(deps, tenantId, schedule, at, schedule.timezone ?? zone);
        }
        for (const timer of timers) {
          const due = timerDue.get(timer.job);
          if (!due || due > at) continue;
          await timer.run(deps, tenantId, at);
          lastRun.set(timer.job, at);
          count(timer.job);
        }
      });
    }
    const reached = complete ? to : cursor;
    // Sweeps covered by a timer ran on their rows' own instants: their schedules resume from here.
    const enabled = (await deps.db.tenantQuery(
      tenantId,
      schedulesQuery(deps.db.kysely, tenantId),
    )) as ScheduleRow[];
    for (const schedule of enabled) {
      if (timerJobs.has(schedule.job_name) && schedule.next_run_at <= reached) {
        await moveSchedule(deps, tenantId, schedule, reached, schedule.timezone ?? zone);
      }
    }
    const after: TestClockState = state.frozenAt
      ? { frozenAt: reached, offsetMs: 0 }
      : { frozenAt: null, offsetMs: reached.getTime() - real.getTime() };
    await lock
      .updateTable("tenant_clocks")
      .set({ frozen_at: after.frozenAt, offset_ms: after.offsetMs, updated_at: reached })
      .where("tenant_id", "=", tenantId)
      .execute();
    return { from, to, reached, complete, steps, runs, state: after };
  });
}

/** The raw handlers of the jobs business schedules name (the advance already sets the time). */
function scheduledJobHandlers(deps: AppDeps): Map<string, JobDefinition<object>> {
  const map = new Map<string, JobDefinition<object>>();
  for (const m of installedManifests()) for (const job of m.jobs?.(deps) ?? []) map.set(job.name, job);
  return map;
}

/** The tenant's enabled schedules, the next due first. */
function schedulesQuery(db: Db, tenantId: string) {
  return db
    .selectFrom("job_schedules")
    .select(["id", "job_name", "data", "spec", "timezone", "next_run_at"])
    .where("tenant_id", "=", tenantId)
    .where("enabled", "=", true)
    .orderBy("next_run_at")
    .limit(MAX_SCHEDULES);
}

async function moveSchedule(deps: AppDeps, tenantId: string, schedule: ScheduleRow, at: Date, zone: string) {
  await deps.db.tenantTx(tenantId, (trx: Tx) =>
    trx
      .updateTable("job_schedules")
      .set({ last_run_at: at, next_run_at: nextRunAt(schedule.spec, at, zone), updated_at: at })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", schedule.id)
      .execute(),
  );
}

/**
 * What is due next: the tenant's schedules, and each timer's earliest due row. Rows still due
 * at or before their timer's last run (a sweep that leaves some, e.g. locked ones) do not hold
 * the clock at that instant. Read once a step, over one snapshot in one round trip, as prepared
 * statements: the timers' union of some fifteen tables under row-level security took PostgreSQL
 * about 10 ms to plan and 1 ms to run, and an advance of two weeks reads it a thousand times.
 * So its text never varies: a timer not yet run compares with a null instant.
 */
async function dueInstants(
  deps: AppDeps,
  tenantId: string,
  timers: readonly TenantTimer[],
  lastRun: Map<string, Date>,
): Promise<[ScheduleRow[], Map<string, Date>]> {
  const schedules = schedulesQuery(deps.db.kysely, tenantId).compile();
  const parts = timers.flatMap((timer) =>
    timer.due.map((due) => {
      const after = lastRun.get(timer.job) ?? null;
      return sql`select ${timer.job}::text as job, min(${sql.ref(due.at)}) as at
        from ${sql.table(due.table)}
        where tenant_id = ${tenantId} and (${sql.raw(due.where)})
          and (${after}::timestamptz is null or ${sql.ref(due.at)} > ${after}::timestamptz)`;
    }),
  );
  const statements = [
    schedules,
    ...(parts.length > 0 ? [sql.join(parts, sql` union all `).compile(deps.db.kysely)] : []),
  ];
  const [scheduleRows, timerRows = []] = await deps.db.tenantRead(
    tenantId,
    statements.map((c) => ({ text: c.sql, values: c.parameters as SqlValue[] })),
  );
  const due = new Map<string, Date>();
  for (const row of timerRows as { job: string; at: Date | string | null }[]) {
    if (!row.at) continue;
    const at = new Date(row.at);
    const known = due.get(row.job);
    if (!known || at < known) due.set(row.job, at);
  }
  return [scheduleRows as unknown as ScheduleRow[], due];
}
