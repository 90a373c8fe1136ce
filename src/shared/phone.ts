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

/**
 * A phone given as free text (a gift card's buyer): kept as digits when it reads as a phone
 * number, as typed otherwise, so a search by the number finds it however it was typed.
 */
export function phoneAsKept(text: string): string {
  return PHONE_TYPED.test(text) ? normalizePhone(text) : text;
}
