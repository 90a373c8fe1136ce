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
  const parts: Record<string, number> = Object.fromEntries(
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
  const part = (type: string) => parts[type] ?? 0;
  return Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
}

/**
 * The instant a local date (`YYYY-MM-DD`) starts in an IANA time zone, as the API's date-time.
 * The zone's offsets on the days either side are both tried and the earliest instant that falls
 * on the date wins: a daylight-saving change that skips midnight starts the day at 01:00.
 */
export function zonedDayStart(date: string, timeZone: string): string {
  const midnight = Date.parse(`${date}T00:00:00Z`);
  const starts = [midnight - 86_400_000, midnight + 86_400_000]
    .map((at) => midnight - (wallClockMs(at, timeZone) - at))
    .filter((at) => zonedDate(new Date(at).toISOString(), timeZone) === date);
  // A date the zone skipped altogether (Samoa's 30 December 2011) starts where the next day does.
  return new Date(
    starts.length > 0 ? Math.min(...starts) : midnight - (wallClockMs(midnight, timeZone) - midnight),
  ).toISOString();
}

/** The local date (`YYYY-MM-DD`) an instant falls on in an IANA time zone. */
export function zonedDate(iso: string, timeZone: string): string {
  return new Date(wallClockMs(Date.parse(iso), timeZone)).toISOString().slice(0, 10);
}

/** The local date after `date` (both `YYYY-MM-DD`). */
export const nextDate = (date: string) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
