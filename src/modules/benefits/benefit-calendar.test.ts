import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  type BirthdayPeriod,
  birthdayMatches,
  isoWeek,
  localMoment,
  scheduleMatches,
} from "./benefit-calendar.js";

describe("calendar arithmetic", () => {
  it("isoWeek agrees with Luxon on every date", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1970-01-01T00:00:00Z"),
          max: new Date("2100-12-31T00:00:00Z"),
          noInvalidDate: true,
        }),
        (d) => {
          const t = DateTime.fromJSDate(d, { zone: "UTC" });
          expect(isoWeek(t.year, t.month, t.day)).toEqual({ weekYear: t.weekYear, weekNumber: t.weekNumber });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("the cached local moment equals a fresh computation, per zone", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1990-01-01T00:00:00Z"),
          max: new Date("2060-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.constantFrom("Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"),
        (d, zone) => {
          const t = DateTime.fromJSDate(d, { zone });
          const m = localMoment(d, zone);
          expect(m).toMatchObject({
            year: t.year,
            month: t.month,
            day: t.day,
            weekday: t.weekday,
            minuteOfDay: t.hour * 60 + t.minute,
          });
          expect(localMoment(new Date(d.getTime()), zone)).toBe(m);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("birthday rules answer as Luxon's calendar says, however many times they are asked per moment", () => {
    /** The rule spelled out with Luxon: the birthday as kept in a year (29 February → 28th). */
    const kept = (year: number, month: number, day: number) =>
      DateTime.utc(year, month, month === 2 && day === 29 && !DateTime.utc(year).isInLeapYear ? 28 : day);
    const expected = (period: BirthdayPeriod, month: number, day: number, now: DateTime) => {
      if (period === "month") return now.month === month;
      if (period === "day")
        return kept(now.year, month, day).hasSame(now.setZone("UTC", { keepLocalTime: true }), "day");
      return [now.year - 1, now.year, now.year + 1].some((y) => {
        const k = kept(y, month, day);
        return k.weekYear === now.weekYear && k.weekNumber === now.weekNumber;
      });
    };
    const pad = (n: number) => String(n).padStart(2, "0");
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2040-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.constantFrom("Asia/Shanghai", "America/New_York", "UTC"),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 29 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (d, zone, birthdays) => {
          const now = localMoment(d, zone);
          const t = DateTime.fromJSDate(d, { zone });
          // Asked twice each, interleaved: a remembered answer must be this birthday's, at this moment.
          for (let round = 0; round < 2; round++) {
            for (const [month, day] of birthdays) {
              for (const period of ["day", "week", "month"] as const) {
                const text = round === 0 ? `${pad(month)}-${pad(day)}` : `1990-${pad(month)}-${pad(day)}`;
                expect(birthdayMatches(period, text, now), `${period} ${text} at ${t.toISO()}`).toBe(
                  expected(period, month, day, t),
                );
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("a monthly schedule naming one day twice (its date and `last`)", () => {
  // In a 31-day month, 31 and "last" are the same day; each keeps its own window.
  const schedule = {
    frequency: "monthly" as const,
    days: [31, "last"] as (number | "last")[],
    time: {
      kind: "per_date" as const,
      windows: [
        { day: 31, start: "10:00", end: "12:00" },
        { day: "last" as const, start: "18:00", end: "20:00" },
      ],
    },
  };
  const at = (iso: string) => localMoment(new Date(iso), "Asia/Shanghai");

  it("is open in either entry's window on that day, and closed outside both", () => {
    expect(scheduleMatches(schedule, at("2026-01-31T11:00:00+08:00"))).toBe("ok");
    expect(scheduleMatches(schedule, at("2026-01-31T19:00:00+08:00"))).toBe("ok");
    expect(scheduleMatches(schedule, at("2026-01-31T15:00:00+08:00"))).toBe("outside_hours");
    const reversed = { ...schedule, days: ["last", 31] as (number | "last")[] };
    expect(scheduleMatches(reversed, at("2026-01-31T11:00:00+08:00"))).toBe("ok");
    // 30 April is only "last": its window alone.
    expect(scheduleMatches(schedule, at("2026-04-30T11:00:00+08:00"))).toBe("outside_hours");
    expect(scheduleMatches(schedule, at("2026-04-30T19:00:00+08:00"))).toBe("ok");
  });
});
