import { randomInt } from "node:crypto";
import { hmacBase64Url, safeEqual } from "../../platform/auth/secrets.js";

/** Card numbers are 16 digits: 15 random, then the Luhn check digit. */
export const CARD_NUMBER_DIGITS = 16;
/** A PIN is 8 random digits: shown once to the buyer, stored only as a keyed hash. */
export const PIN_DIGITS = 8;
/** Numbers the API accepts (imported stock may be 8–19 digits, as payment cards are). */
export const CARD_NUMBER_PATTERN = "^[0-9]{8,19}$";
export const PIN_PATTERN = "^[0-9]{4,12}$";

/** The Luhn check digit of `body` (the number without its last digit). */
export function luhnDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // From the right, every second digit of the body (starting with its last) is doubled.
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function luhnValid(number: string): boolean {
  return /^[0-9]{2,19}$/.test(number) && luhnDigit(number.slice(0, -1)) === Number(number.at(-1));
}

function randomDigits(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += String(randomInt(10));
  return out;
}

/** A new random card number (the first digit is never 0, so the length is always 16). */
export function generateCardNumber(): string {
  const body = String(randomInt(1, 10)) + randomDigits(CARD_NUMBER_DIGITS - 2);
  return body + String(luhnDigit(body));
}

export function generatePin(): string {
  return randomDigits(PIN_DIGITS);
}

/**
 * The stored form of a PIN: HMAC-SHA256 under a key derived from the service's signing
 * secret, over tenant, number and PIN. A PIN has few digits, so an unkeyed hash would fall to
 * a dictionary in seconds; keyed, a copy of the database alone does not reveal PINs, and a
 * check costs microseconds (the look-up limit, not the hash, is what stops guessing).
 */
export function pinHash(secret: string, tenantId: string, number: string, pin: string): string {
  return hmacBase64Url(secret, `${tenantId}:${number}:${pin}`);
}

export function pinMatches(
  secret: string,
  tenantId: string,
  number: string,
  pin: string,
  stored: string | null,
): boolean {
  return stored !== null && safeEqual(pinHash(secret, tenantId, number, pin), stored);
}

/** The PIN key: derived, so the signing secret itself never keys anything else. */
export function pinSecretOf(signingSecret: string): string {
  return hmacBase64Url(signingSecret, "giftcards:pin");
}
