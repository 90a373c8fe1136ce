import { DateTime } from "luxon";
import type { AnyBenefit, Schedule, TimeWindow } from "./benefit-types.js";

/**
 * Calendar rules of benefits, always in the tenant's IANA time zone (DESIGN principle 5).
 * The local moment is computed once per quote; the rules below only compare numbers.
 */
export interface LocalMoment {
  year: number;
  month: number;
  day: number;
  /** ISO weekday: 1 Monday … 7 Sunday. */
  weekday: number;
  minuteOfDay: number;
  daysInMonth: number;
  /** ISO week-numbering year and week: the calendar week is Monday to Sunday. */
  weekYear: number;
  weekNumber: number;
}

/** Recent local moments by zone and minute: a till prices many carts in the same minute. */
const momentCache = new Map<string, LocalMoment>();
const MOMENT_CACHE_SIZE = 256;

export function localMoment(at: Date, timezone: string): LocalMoment {
  const ms = at.getTime();
  // Zone offsets since 1972 are whole minutes: within one UTC minute the local minute is fixed.
  const key = `${timezone}|${Math.floor(ms / 60_000)}`;
  const hit = momentCache.get(key);
  if (hit) return hit;
  const moment = computeMoment(at, timezone);
  if (momentCache.size >= MOMENT_CACHE_SIZE) momentCache.clear();
  momentCache.set(key, moment);
  return moment;
}

function computeMoment(at: Date, timezone: string): LocalMoment {
  const t = DateTime.fromJSDate(at, { zone: timezone });
  return Object.freeze({
    year: t.year,
    month: t.month,
    day: t.day,
    weekday: t.weekday,
    minuteOfDay: t.hour * 60 + t.minute,
    daysInMonth: t.daysInMonth ?? 31,
    weekYear: t.weekYear,
    weekNumber: t.weekNumber,
  });
}

/** ISO week-numbering year and week of a calendar date (Monday-Sunday weeks), by arithmetic. */
export function isoWeek(year: number, month: number, day: number): { weekYear: number; weekNumber: number } {
  const date = Date.UTC(year, month - 1, day);
  const weekday = ((new Date(date).getUTCDay() + 6) % 7) + 1;
  // The Thursday of this week decides the week's year.
  const thursday = new Date(date + (4 - weekday) * 86_400_000);
  const weekYear = thursday.getUTCFullYear();
  const firstDay = Date.UTC(weekYear, 0, 1);
  const weekNumber = Math.floor((thursday.getTime() - firstDay) / 86_400_000 / 7) + 1;
  return { weekYear, weekNumber };
}

/** "HH:MM" values are the few window bounds of a catalog, read on every quote. */
const minutesByText = new Map<string, number>();

export function minutesOf(hhmm: string): number {
  const hit = minutesByText.get(hhmm);
  if (hit !== undefined) return hit;
  const [h, m] = hhmm.split(":");
  const minutes = Number(h) * 60 + Number(m);
  // 24 × 60 + 1 distinct valid texts at most; anything beyond is not worth remembering.
  if (minutesByText.size < 1441) minutesByText.set(hhmm, minutes);
  return minutes;
}

/** Start inclusive, end exclusive; "24:00" ends at midnight. */
export function inWindow(window: TimeWindow, minuteOfDay: number): boolean {
  return minuteOfDay >= minutesOf(window.start) && minuteOfDay < minutesOf(window.end);
}

/** Whether the schedule's day entry `d` falls on `now`. */
function onDay(schedule: Schedule, d: number | "last", now: LocalMoment): boolean {
  if (schedule.frequency === "weekly") return d === now.weekday;
  // Monthly: a date that a month lacks (31 in April) does not occur that month; use "last".
  return d === "last" ? now.day === now.daysInMonth : d === now.day;
}

export type ScheduleResult = "ok" | "wrong_day" | "outside_hours";

/** Whether a member day (or a multiplier's time scope) is in effect at `now`. */
export function scheduleMatches(schedule: Schedule, now: LocalMoment): ScheduleResult {
  const time = schedule.time;
  if (time.kind !== "per_date") {
    if (!schedule.days.some((d) => onDay(schedule, d, now))) return "wrong_day";
    return time.kind === "all_day" || inWindow(time.window, now.minuteOfDay) ? "ok" : "outside_hours";
  }
  // A monthly day may be named twice (31 and "last" in a 31-day month), each with its own
  // window: the day is open in any of them, not only the first listed.
  let onSomeDay = false;
  for (const d of schedule.days) {
    if (!onDay(schedule, d, now)) continue;
    onSomeDay = true;
    const window = time.windows.find((w) => w.day === d);
    if (window && inWindow(window, now.minuteOfDay)) return "ok";
  }
  return onSomeDay ? "outside_hours" : "wrong_day";
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The day a birthday is kept in a year: a 29 February birthday is kept on 28 February in
 * years without one (the last day of February, never spilling into March).
 */
export function observedBirthday(year: number, month: number, day: number): { month: number; day: number } {
  if (month === 2 && day === 29 && !isLeap(year)) return { month: 2, day: 28 };
  return { month, day };
}

/** `MM-DD` or `YYYY-MM-DD` (the year is ignored). */
export function parseBirthday(birthday: string): { month: number; day: number } | null {
  const match = /^(?:\d{4}-)?(\d{2})-(\d{2})$/.exec(birthday);
  if (!match) return null;
  const month = Number(match[1]);
  const day = Number(match[2]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return { month, day };
}

export type BirthdayPeriod = "day" | "week" | "month";

/**
 * Birthday only: the observed birthday's local date. Birthday month: the calendar month
 * of the birthday. Birthday week: the ISO calendar week (Monday–Sunday) that contains the
 * observed birthday — so a 31 December birthday's week may include 1 January of the next
 * year, and the years on either side are checked.
 */
export function birthdayMatches(period: BirthdayPeriod, birthday: string, now: LocalMoment): boolean {
  // A catalog holds many birthday benefits of few periods, checked for one member at one moment
  // (moments are shared per zone and minute): each answer is worked out once per moment.
  let answers = birthdayAnswers.get(now);
  if (!answers) {
    answers = new Map();
    birthdayAnswers.set(now, answers);
  }
  const key = `${period}|${birthday}`;
  const known = answers.get(key);
  if (known !== undefined) return known;
  const answer = computeBirthdayMatch(period, birthday, now);
  if (answers.size >= MEMO_PER_MOMENT) answers.clear();
  answers.set(key, answer);
  return answer;
}

const birthdayAnswers = new WeakMap<LocalMoment, Map<string, boolean>>();
const MEMO_PER_MOMENT = 1024;

function computeBirthdayMatch(period: BirthdayPeriod, birthday: string, now: LocalMoment): boolean {
  const b = parseBirthday(birthday);
  if (!b) return false;
  if (period === "month") return now.month === b.month;
  if (period === "day") {
    const o = observedBirthday(now.year, b.month, b.day);
    return now.month === o.month && now.day === o.day;
  }
  for (const year of [now.year - 1, now.year, now.year + 1]) {
    const o = observedBirthday(year, b.month, b.day);
    const week = isoWeek(year, o.month, o.day);
    if (week.weekYear === now.weekYear && week.weekNumber === now.weekNumber) return true;
  }
  return false;
}

/**
 * Whether a benefit's own calendar lets it act at this moment (a member day's schedule, a
 * birthday's period, a points multiplier's window and schedule), for a member with this
 * birthday; other kinds have no calendar. The checkout prices by it and the member center says
 * by it which benefits are on now, so the two never disagree.
 */
export function benefitTimeCheck(
  benefit: AnyBenefit,
  birthday: string | null | undefined,
  at: Date,
  moment: LocalMoment,
): "time_window" | "no_birthday" | null {
  switch (benefit.kind) {
    case "member_day":
      return scheduleMatches(benefit.config.schedule, moment) === "ok" ? null : "time_window";
    case "birthday":
      if (!birthday) return "no_birthday";
      return birthdayMatches(benefit.config.period, birthday, moment) ? null : "time_window";
    case "multiplier_points": {
      const c = benefit.config;
      const t = at.getTime();
      if (c.valid_from && t < Date.parse(c.valid_from)) return "time_window";
      if (c.valid_until && t >= Date.parse(c.valid_until)) return "time_window";
      if (c.schedule && scheduleMatches(c.schedule, moment) !== "ok") return "time_window";
      return null;
    }
    default:
      return null;
  }
}
