import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { nextDate, zonedDate, zonedDayStart } from "../../web/console/src/components/dayRange.js";

/**
 * The console turns a picked date into the instant it starts in the tenant's zone (a benefit's
 * valid_from, the day after its valid_until). Luxon, which the API's own calendar uses, is the
 * reference: both must agree on ordinary days, on days a daylight-saving change shortens or
 * lengthens, and on days whose midnight the change skips.
 */
const CASES: [zone: string, date: string][] = [
  ["Asia/Shanghai", "2026-12-01"],
  ["Europe/London", "2026-03-29"], // clocks forward at 01:00
  ["Europe/London", "2026-10-25"], // clocks back at 02:00
  ["America/New_York", "2026-03-08"],
  ["America/New_York", "2026-11-01"],
  ["America/Santiago", "2026-09-06"], // clocks forward at midnight: the day starts at 01:00
  ["America/Santiago", "2026-04-05"], // clocks back at midnight: the first 00:00 counts
  ["Asia/Tehran", "2026-06-21"],
  ["Australia/Lord_Howe", "2026-10-04"], // a half-hour change
  ["Pacific/Apia", "2012-01-01"],
];

describe("a picked date in the tenant's zone", () => {
  it.each(CASES)("%s %s starts where Luxon says it does, and falls on that date", (zone, date) => {
    const start = zonedDayStart(date, zone);
    const reference = DateTime.fromISO(date, { zone }).startOf("day").toUTC().toISO();
    expect(Date.parse(start)).toBe(Date.parse(reference!));
    expect(zonedDate(start, zone)).toBe(date);
    // An instant a millisecond earlier is still the day before.
    expect(zonedDate(new Date(Date.parse(start) - 1).toISOString(), zone)).not.toBe(date);
  });

  it("a date the zone skipped altogether starts where the next day does", () => {
    // Samoa moved across the date line: 30 December 2011 never happened in Apia.
    expect(zonedDayStart("2011-12-30", "Pacific/Apia")).toBe(zonedDayStart("2011-12-31", "Pacific/Apia"));
  });

  it("the next date crosses months and leap days", () => {
    expect(nextDate("2028-02-28")).toBe("2028-02-29");
    expect(nextDate("2028-02-29")).toBe("2028-03-01");
    expect(nextDate("2026-12-31")).toBe("2027-01-01");
  });
});
