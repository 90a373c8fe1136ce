import { DateTime } from "luxon";

/**
 * How a package period is placed (Global Package Settings, tenant-wide), in the tenant's
 * zone, for an N-day package bought at `t`:
 * - `immediate`: from t until the same wall-clock time N days later (23:00 Dec 8 → 23:00 Dec 11);
 * - `purchase_day`: from 00:00 of the purchase date for N days (→ the end of Dec 10);
 * - `next_day`: from 00:00 of the next day for N days (→ the end of Dec 11).
 * Days are calendar days in the zone, so a period crossing a DST change keeps its wall-clock
 * end (and lasts 23 or 25 hours longer or shorter than N × 24). A period ends exclusively:
 * "until 23:59 on Dec 10" is stored as `ends_at` = 00:00 Dec 11.
 * An early renewal starts exactly when the period before it ends and lasts N calendar days
 * from there, whatever the mode.
 */
export const VALIDITY_MODES = ["immediate", "purchase_day", "next_day"] as const;
export type ValidityMode = (typeof VALIDITY_MODES)[number];
/** Until an owner chooses, a period starts when it is bought ("Immediate Activation After Purchase"). */
export const DEFAULT_VALIDITY_MODE: ValidityMode = "immediate";

export function periodWindow(
  mode: ValidityMode,
  durationDays: number,
  purchasedAt: Date,
  timezone: string,
  renewFrom: Date | null = null,
): { startsAt: Date; endsAt: Date } {
  const bought = DateTime.fromJSDate(renewFrom ?? purchasedAt, { zone: timezone });
  const start = renewFrom
    ? bought
    : mode === "immediate"
      ? bought
      : mode === "purchase_day"
        ? bought.startOf("day")
        : bought.startOf("day").plus({ days: 1 });
  return { startsAt: start.toJSDate(), endsAt: start.plus({ days: durationDays }).toJSDate() };
}
