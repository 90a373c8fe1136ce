import dayjs, { type Dayjs } from "dayjs";

/**
 * A range of whole days picked in the console, as the API's half-open range of instants:
 * from the first day's start up to (not including) the start of the day after the last.
 */
export function dayRangeBounds(range: [Dayjs, Dayjs] | null | undefined) {
  return {
    from: range?.[0]?.startOf("day").toISOString(),
    to: range?.[1]?.add(1, "day").startOf("day").toISOString(),
  };
}

/** The picker's days for bounds kept in the URL: the last day is the one before `to`. */
export function dayRangeOf(from: string | undefined, to: string | undefined): [Dayjs, Dayjs] | undefined {
  return from && to ? [dayjs(from), dayjs(to).subtract(1, "day")] : undefined;
}

/** The wall clock in `timeZone` at an instant, read as if it were UTC (for the zone's offset). */
function wallClockMs(at: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, Number(p.value)]),
  );
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/**
 * The instant a local date (`YYYY-MM-DD`) starts in an IANA time zone, as the API's date-time.
 * The offset is taken twice so a day that starts just after a daylight-saving change is right.
 */
export function zonedDayStart(date: string, timeZone: string): string {
  const midnight = Date.parse(`${date}T00:00:00Z`);
  let at = midnight - (wallClockMs(midnight, timeZone) - midnight);
  at = midnight - (wallClockMs(at, timeZone) - at);
  return new Date(at).toISOString();
}

/** The local date (`YYYY-MM-DD`) an instant falls on in an IANA time zone. */
export function zonedDate(iso: string, timeZone: string): string {
  return new Date(wallClockMs(Date.parse(iso), timeZone)).toISOString().slice(0, 10);
}

/** The local date `days` after `date` (both `YYYY-MM-DD`; negative goes back). */
export const nextDate = (date: string, days = 1) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
