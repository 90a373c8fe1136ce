import { DateTime } from "luxon";
import type { EndReason, ValidityUnit } from "./students.repository.js";

/**
 * How long an approval lasts, in the tenant's zone: the approval instant plus the validity
 * period (calendar months and years keep the wall-clock time; a day-of-month past the end
 * of the target month falls back to its last day: 31 Aug + 6 months = 28 Feb), or the end
 * of the graduation date (the start of the next local day) when that comes first.
 */
export function studentValidUntil(
  approvedAt: Date,
  validity: { count: number; unit: ValidityUnit },
  graduationDate: string,
  zone: string,
): { validUntil: Date; endReason: Extract<EndReason, "validity_ended" | "graduated"> } {
  const byValidity = DateTime.fromJSDate(approvedAt, { zone }).plus({
    [`${validity.unit}s`]: validity.count,
  });
  const byGraduation = endOfLocalDate(graduationDate, zone);
  return byGraduation < byValidity
    ? { validUntil: byGraduation.toJSDate(), endReason: "graduated" }
    : { validUntil: byValidity.toJSDate(), endReason: "validity_ended" };
}

/** The first instant after a local date (`YYYY-MM-DD`) in the zone. */
export function endOfLocalDate(date: string, zone: string): DateTime {
  return DateTime.fromISO(date, { zone }).plus({ days: 1 }).startOf("day");
}

/**
 * The fewest calendar days a validity period lasts, whatever day it starts: months run 28 to
 * 31 days and a day-of-month past the target month's end falls back (31 Jan + 1 month =
 * 28 Feb, 28 days), so it is found by trying every start day of a four-year leap cycle.
 */
export function shortestValidityDays(validity: { count: number; unit: ValidityUnit }): number {
  if (validity.unit === "day") return validity.count;
  const cycleStart = DateTime.utc(2024, 1, 1);
  let fewest = Number.POSITIVE_INFINITY;
  for (let day = 0; day < 4 * 365 + 1; day++) {
    const from = cycleStart.plus({ days: day });
    const to = from.plus({ [`${validity.unit}s`]: validity.count });
    fewest = Math.min(fewest, to.diff(from, "days").days);
  }
  return fewest;
}

/**
 * When the expiration reminder is due: `days` calendar days before the end (null: no
 * reminder). A graduation date inside the lead would put it at, or before, the approval: the
 * member would be told the status is ending as it is granted, with nothing new to learn (the
 * approval already shows its end). So a reminder less than a calendar day after the approval
 * is not scheduled at all; the settings keep the lead shorter than the validity, so only a
 * graduation date can bring it that close.
 */
export function reminderAt(validUntil: Date, days: number, zone: string, approvedAt: Date): Date | null {
  if (days === 0) return null;
  const due = DateTime.fromJSDate(validUntil, { zone }).minus({ days });
  const earliest = DateTime.fromJSDate(approvedAt, { zone }).plus({ days: 1 });
  return due < earliest ? null : due.toJSDate();
}

/** The local date of an instant (`YYYY-MM-DD`). */
export function localDate(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISODate() ?? "";
}
