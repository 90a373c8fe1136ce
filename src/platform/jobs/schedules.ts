import { sql } from "kysely";
import { DateTime } from "luxon";
import type { Database, Tx } from "../../db/database.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { tenantZone } from "../tenants.js";

/**
 * Business schedules ("every 20 minutes", "daily at 09:00 in the tenant's zone") live in
 * `job_schedules` and are driven by the injected clock: `runDue(now)` enqueues every
 * schedule whose time has come and moves it to its next time. Tests set a ManualClock and
 * call runDue; production calls it from a short timer. pg-boss runs the work.
 */
export type ScheduleSpec =
  /** Every n minutes, aligned to midnight of the zone (n divides the day: 1, 5, 20, 60 …). */
  | { every_minutes: number }
  /** Every day at HH:mm local time. */
  | { daily_at: string }
  /** Every week on ISO weekday (1 = Monday) at HH:mm. */
  | { weekly_on: number; at: string }
  /** Every month on that day (clamped to the month's last day) at HH:mm. */
  | { monthly_on: number; at: string };

export const MAX_DUE_PER_RUN = 500;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

function hm(at: string): { hour: number; minute: number } {
  const m = TIME.exec(at);
  if (!m) throw new DomainError("validation_failed", `time ${at} must be HH:mm`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

export function validateSpec(spec: ScheduleSpec): void {
  if ("every_minutes" in spec) {
    const n = spec.every_minutes;
    if (!Number.isInteger(n) || n < 1 || n > 1440 || 1440 % n !== 0) {
      throw new DomainError("validation_failed", "every_minutes must divide a day (1, 5, 15, 20, 60, …)");
    }
  } else if ("daily_at" in spec) hm(spec.daily_at);
  else if ("weekly_on" in spec) {
    if (!Number.isInteger(spec.weekly_on) || spec.weekly_on < 1 || spec.weekly_on > 7) {
      throw new DomainError("validation_failed", "weekly_on must be an ISO weekday 1-7");
    }
    hm(spec.at);
  } else if ("monthly_on" in spec) {
    if (!Number.isInteger(spec.monthly_on) || spec.monthly_on < 1 || spec.monthly_on > 31) {
      throw new DomainError("validation_failed", "monthly_on must be a day 1-31");
    }
    hm(spec.at);
  } else throw new DomainError("validation_failed", "unknown schedule spec");
}

/**
 * The first run strictly after `after`, computed in `zone` by Luxon. Local times that a
 * DST change skips move forward to the first valid instant; repeated ones run once.
 */
export function nextRunAt(spec: ScheduleSpec, after: Date, zone: string): Date {
  const local = DateTime.fromJSDate(after, { zone });
  if (!local.isValid) throw new DomainError("validation_failed", `unknown timezone ${zone}`);
  let candidate: DateTime;
  if ("every_minutes" in spec) {
    const dayStart = local.startOf("day");
    const minutes = Math.floor(local.diff(dayStart, "minutes").minutes);
    const slot = (Math.floor(minutes / spec.every_minutes) + 1) * spec.every_minutes;
    candidate = slot >= 1440 ? local.plus({ days: 1 }).startOf("day") : dayStart.plus({ minutes: slot });
  } else if ("daily_at" in spec) {
    const t = hm(spec.daily_at);
    candidate = local.set({ ...t, second: 0, millisecond: 0 });
    if (candidate <= local) candidate = candidate.plus({ days: 1 }).set(t);
  } else if ("weekly_on" in spec) {
    const t = hm(spec.at);
    candidate = local.set({
      weekday: spec.weekly_on as 1 | 2 | 3 | 4 | 5 | 6 | 7,
      ...t,
      second: 0,
      millisecond: 0,
    });
    if (candidate <= local) candidate = candidate.plus({ weeks: 1 }).set(t);
  } else {
    const t = hm(spec.at);
    const inMonth = (base: DateTime) =>
      base.set({ day: Math.min(spec.monthly_on, base.daysInMonth ?? 28), ...t, second: 0, millisecond: 0 });
    candidate = inMonth(local.startOf("month"));
    if (candidate <= local) candidate = inMonth(local.startOf("month").plus({ months: 1 }));
  }
  return candidate.toJSDate();
}

export interface ScheduleInput {
  key: string;
  jobName: string;
  spec: ScheduleSpec;
  data?: Record<string, unknown>;
  /** IANA zone; default: the tenant's timezone. */
  timezone?: string;
  enabled?: boolean;
}

/** Creates or replaces the tenant's schedule with this key; the next run counts from `now`. */
export async function upsertSchedule(trx: Tx, tenantId: string, input: ScheduleInput, now: Date) {
  validateSpec(input.spec);
  const zone = input.timezone ?? (await tenantZone(trx, tenantId));
  const next = nextRunAt(input.spec, now, zone);
  return trx
    .insertInto("job_schedules")
    .values({
      tenant_id: tenantId,
      id: newId("sch"),
      key: input.key,
      job_name: input.jobName,
      data: JSON.stringify(input.data ?? {}),
      spec: JSON.stringify(input.spec),
      timezone: input.timezone ?? null,
      enabled: input.enabled ?? true,
      next_run_at: next,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["tenant_id", "key"]).doUpdateSet((eb) => ({
        job_name: eb.ref("excluded.job_name"),
        data: eb.ref("excluded.data"),
        spec: eb.ref("excluded.spec"),
        timezone: eb.ref("excluded.timezone"),
        enabled: eb.ref("excluded.enabled"),
        next_run_at: eb.ref("excluded.next_run_at"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSchedule(trx: Tx, tenantId: string, key: string): Promise<boolean> {
  const result = await trx
    .deleteFrom("job_schedules")
    .where("tenant_id", "=", tenantId)
    .where("key", "=", key)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** How a due run is handed to the queue: inside the scheduler's transaction. */
export type Enqueue = (
  trx: Tx,
  jobName: string,
  data: Record<string, unknown>,
  uniqueKey: string,
) => Promise<unknown>;

export interface DueRun {
  tenantId: string;
  scheduleId: string;
  key: string;
  jobName: string;
  scheduledFor: Date;
}

/**
 * Enqueues every schedule due at `now` (at most `limit`), each once: the enqueue and the
 * move to the next run commit together, and rows are claimed with SKIP LOCKED, so two
 * schedulers never enqueue one run twice. A schedule missed for several periods (the
 * service was down) runs once, then continues from `now`.
 */
export async function runDue(
  db: Database,
  enqueue: Enqueue,
  now: Date,
  limit = MAX_DUE_PER_RUN,
): Promise<DueRun[]> {
  return db.systemTx(async (trx) => {
    const due = await trx
      .selectFrom("job_schedules as s")
      .innerJoin("tenants as t", "t.id", "s.tenant_id")
      .select(["s.tenant_id", "s.id", "s.key", "s.job_name", "s.data", "s.spec", "s.next_run_at"])
      .select(sql<string>`coalesce(s.timezone, t.timezone)`.as("zone"))
      .where("s.enabled", "=", true)
      .where("s.next_run_at", "<=", now)
      // A sandbox's schedules run when its test clock is advanced, at its own time.
      .where("t.sandbox", "=", false)
      .orderBy("s.next_run_at")
      .limit(Math.min(limit, MAX_DUE_PER_RUN))
      .forUpdate("s")
      .skipLocked()
      .execute();
    const runs: DueRun[] = [];
    for (const row of due) {
      const scheduledFor = row.next_run_at;
      await enqueue(
        trx,
        row.job_name,
        {
          ...(row.data as Record<string, unknown>),
          tenantId: row.tenant_id,
          scheduleKey: row.key,
          scheduledFor: scheduledFor.toISOString(),
        },
        `${row.id}@${scheduledFor.toISOString()}`,
      );
      await trx
        .updateTable("job_schedules")
        .set({
          last_run_at: scheduledFor,
          next_run_at: nextRunAt(row.spec as ScheduleSpec, now, row.zone),
          updated_at: now,
        })
        .where("tenant_id", "=", row.tenant_id)
        .where("id", "=", row.id)
        .execute();
      runs.push({
        tenantId: row.tenant_id,
        scheduleId: row.id,
        key: row.key,
        jobName: row.job_name,
        scheduledFor,
      });
    }
    return runs;
  });
}
