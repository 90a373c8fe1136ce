import { type Static, Type } from "typebox";
import { Obj } from "../../platform/http/schemas.js";
import { type LocalMoment, localMoment, Schedule, scheduleMatches } from "../benefits/index.js";

/**
 * When a plan is open (purchase period of a package, effective dates of a top-up plan):
 * an optional date range (inclusive local dates) and an optional schedule. The schedule is
 * the benefits module's member-day schedule (weekly / monthly days, all day / one unified
 * window / a window per date) plus `daily` with all day or one window ("custom time").
 * Every rule runs in the tenant's time zone.
 */
const HHMM = Type.String({
  maxLength: 5,
  pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
  examples: ["10:00"],
});
const LocalDate = Type.String({ maxLength: 10, format: "date", examples: ["2025-10-01"] });

export const DailySchedule = Obj({
  frequency: Type.Literal("daily"),
  time: Type.Union([
    Obj({ kind: Type.Literal("all_day") }),
    Obj({ kind: Type.Literal("unified"), window: Obj({ start: HHMM, end: HHMM }) }),
  ]),
});

export const PlanSchedule = Type.Union([DailySchedule, Schedule], {
  description:
    "daily / weekly (ISO weekdays 1-7) / monthly (1-31 or last) with all_day, unified {start,end} or per_date windows (weekly, monthly); tenant time zone",
  examples: [
    { frequency: "weekly", days: [5], time: { kind: "unified", window: { start: "10:00", end: "22:00" } } },
  ],
});
export type PlanSchedule = Static<typeof PlanSchedule>;

export const Availability = Obj(
  {
    from_date: Type.Optional(LocalDate),
    until_date: Type.Optional(LocalDate),
    schedule: Type.Optional(PlanSchedule),
  },
  {
    description:
      "Open from from_date to until_date (inclusive local dates), on the schedule's days and hours",
  },
);
export type Availability = Static<typeof Availability>;

export type ClosedReason = "not_started" | "ended" | "wrong_day" | "outside_hours";

const isoDate = (m: LocalMoment) =>
  `${m.year}-${String(m.month).padStart(2, "0")}-${String(m.day).padStart(2, "0")}`;

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** Whether a schedule is open at a local moment (start inclusive, end exclusive). */
export function scheduleOpen(schedule: PlanSchedule, now: LocalMoment): "ok" | "wrong_day" | "outside_hours" {
  if (schedule.frequency !== "daily") return scheduleMatches(schedule, now);
  if (schedule.time.kind === "all_day") return "ok";
  const { start, end } = schedule.time.window;
  return now.minuteOfDay >= minutes(start) && now.minuteOfDay < minutes(end) ? "ok" : "outside_hours";
}

/** Why `availability` is closed at `at` in `timezone`, or null when it is open. */
export function closedReason(availability: Availability, at: Date, timezone: string): ClosedReason | null {
  const now = localMoment(at, timezone);
  const today = isoDate(now);
  if (availability.from_date && today < availability.from_date) return "not_started";
  if (availability.until_date && today > availability.until_date) return "ended";
  if (!availability.schedule) return null;
  const open = scheduleOpen(availability.schedule, now);
  return open === "ok" ? null : open;
}

/** Whether a local date lies in an inclusive range of local dates (`YYYY-MM-DD` compare as text). */
export function onLocalDates(range: { from_date: string; until_date: string }, at: Date, timezone: string) {
  const today = isoDate(localMoment(at, timezone));
  return today >= range.from_date && today <= range.until_date;
}
