import { describe, expect, it } from "vitest";
import { isDateTime, parseDateTime } from "./date-time.js";

describe("parseDateTime", () => {
  it("reads an RFC 3339 time with its offset as the instant it names", () => {
    expect(parseDateTime("2026-11-23T08:00:00Z")?.toISOString()).toBe("2026-11-23T08:00:00.000Z");
    expect(parseDateTime("2026-11-23T10:00:00+08:00")?.toISOString()).toBe("2026-11-23T02:00:00.000Z");
    expect(parseDateTime("2026-11-22T20:30:00.250-05:30")?.toISOString()).toBe("2026-11-23T02:00:00.250Z");
    expect(parseDateTime("2028-02-29T00:00:00Z")?.toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });

  it("refuses a day the calendar lacks, which Date.parse rolls into the next month", () => {
    expect(Number.isNaN(Date.parse("2026-02-30T00:00:00Z"))).toBe(false);
    expect(parseDateTime("2026-02-30T00:00:00Z")).toBeUndefined();
    expect(parseDateTime("2027-02-29T00:00:00Z")).toBeUndefined();
    expect(parseDateTime("2026-04-31T10:00:00+08:00")).toBeUndefined();
  });

  it.each([
    ["a bare number (Date.parse: 2001)", "1"],
    ["a month and day (Date.parse: 2001)", "Nov 23"],
    ["a date without a time", "2026-11-23"],
    ["a time without an offset (local to whoever reads it)", "2026-11-23T08:00:00"],
    ["an hours-only offset", "2026-11-23T08:00:00+08"],
    ["a leap second", "2026-12-31T23:59:60Z"],
    ["a far-past extended year PostgreSQL refuses", "-271821-04-20T00:00:00Z"],
    ["a far-future extended year", "+275760-09-13T00:00:00Z"],
    ["a five-digit year", "10000-01-01T00:00:00Z"],
    ["an empty cell", ""],
  ])("refuses %s", (_why, text) => {
    expect(isDateTime(text)).toBe(false);
    expect(parseDateTime(text)).toBeUndefined();
  });

  it("refuses what is not text", () => {
    for (const value of [undefined, null, 1_700_000_000_000, new Date(), ["2026-11-23T08:00:00Z"]]) {
      expect(parseDateTime(value)).toBeUndefined();
    }
  });

  it("takes years 0000 to 9999 at either extreme of offset (PostgreSQL holds them all)", () => {
    expect(parseDateTime("0000-01-01T00:00:00+23:59")?.toISOString()).toBe("-000001-12-31T00:01:00.000Z");
    expect(parseDateTime("9999-12-31T23:59:59.999-23:59")?.toISOString()).toBe("+010000-01-01T23:58:59.999Z");
  });
});
