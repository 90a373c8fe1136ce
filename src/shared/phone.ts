/**
 * A phone number as Vouchsafe keeps it: digits with an optional leading `+`, without the
 * spaces, parentheses and dashes people type ("+86 138-0000-0001" → "+8613800000001"), so one
 * number typed two ways at two tills finds the same member. No country code is added or
 * taken away: "13800000001" and "+8613800000001" stay two spellings.
 */
export function normalizePhone(text: string): string {
  return text.replace(/[ ()-]/g, "");
}

/** What a member's phone may be typed as (the API's pattern): digits, spaces, ( ) - and a leading +. */
export const PHONE_TYPED = /^\+?[0-9 ()-]+$/;
