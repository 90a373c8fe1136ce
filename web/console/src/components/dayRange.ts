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
