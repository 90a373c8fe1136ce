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

/** When the expiration reminder is due: `days` calendar days before the end (null: no reminder). */
export function reminderAt(validUntil: Date, days: number, zone: string): Date | null {
  if (days === 0) return null;
  return DateTime.fromJSDate(validUntil, { zone }).minus({ days }).toJSDate();
}

/** The local date of an instant (`YYYY-MM-DD`). */
export function localDate(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISODate() ?? "";
}
