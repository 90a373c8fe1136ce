import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { isoWeek, localMoment } from "./benefit-calendar.js";

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
});
