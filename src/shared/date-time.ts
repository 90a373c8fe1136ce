import { fullFormats } from "ajv-formats/dist/formats.js";

const RFC3339 = fullFormats["date-time"] as { validate: (text: string) => boolean };

/**
 * Whether `text` is a time the API takes (the schemas' `format: "date-time"`, and every export
 * filter and import cell that names a time): RFC 3339 with an offset, on a day the calendar has
 * ("2026-02-30" is no day, though `Date.parse` reads it as 2 March), with a four-digit year, so
 * nothing like "1" (read as 2001) or "-271821-04-20" (which PostgreSQL refuses) gets through.
 * Years 0000-9999, give or take the offset, lie well inside what timestamptz holds.
 * `Date.parse` must read it too: RFC 3339 also allows a leap second and an hours-only offset
 * ("+08"), which a JavaScript Date cannot hold.
 */
export function isDateTime(text: string): boolean {
  return RFC3339.validate(text) && Number.isFinite(Date.parse(text));
}

/** The instant `value` names when it is a time as isDateTime says, otherwise undefined. */
export function parseDateTime(value: unknown): Date | undefined {
  return typeof value === "string" && isDateTime(value) ? new Date(value) : undefined;
}
