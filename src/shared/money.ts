import { DomainError } from "./errors.js";

/**
 * Money is integer minor units (safe JS integers; PostgreSQL bigint). Every
 * rounding takes an explicit mode; arithmetic that may exceed 2^53 runs in bigint.
 */
export type RoundingMode = "down" | "up" | "half_up" | "half_even";

export interface Money {
  amount: number;
  asset: string;
}

/**
 * The largest amount any one operation may move: 10^15 minor units (10 trillion yuan at
 * scale 2). Far below 2^53, so the running sums the ledger keeps per account stay exact for
 * thousands of maximal operations; schemas and the ledger both enforce it.
 */
export const MAX_AMOUNT = 1_000_000_000_000_000;

export function assertAmount(value: number, field = "amount", { allowZero = false } = {}): number {
  if (!Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new DomainError(
      "validation_failed",
      `${field} must be a ${allowZero ? "non-negative" : "positive"} integer in minor units`,
      { errors: [{ field, message: "must be a positive integer in minor units" }] },
    );
  }
  return value;
}

function toSafe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DomainError("amount_out_of_range", "amount exceeds the supported range");
  }
  return Number(value);
}

/** numerator / denominator rounded by `mode`; denominator must be positive. */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator <= 0n) throw new Error("denominator must be positive");
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const quotient = n / denominator;
  const remainder = n % denominator;
  let magnitude = quotient;
  if (remainder !== 0n) {
    const twice = remainder * 2n;
    switch (mode) {
      // "down" and "up" are toward and away from zero: a refund rounds like the charge it mirrors.
      case "down":
        break;
      case "up":
        magnitude += 1n;
        break;
      case "half_up":
        if (twice >= denominator) magnitude += 1n;
        break;
      case "half_even":
        if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) magnitude += 1n;
        break;
    }
  }
  return negative ? -magnitude : magnitude;
}

/** amount × numerator / denominator, rounded once at the end. */
export function mulDiv(
  amount: number,
  numerator: number | bigint,
  denominator: number | bigint,
  mode: RoundingMode,
): number {
  return toSafe(divideRounded(BigInt(amount) * BigInt(numerator), BigInt(denominator), mode));
}

/** Share of an amount in basis points (1 bp = 0.01%). */
export function basisPoints(amount: number, bps: number, mode: RoundingMode): number {
  return mulDiv(amount, bps, 10_000, mode);
}

/**
 * An exact decimal rate such as "0.85" or "12.5" as numerator/denominator: no binary
 * float ever touches the value.
 */
export function parseDecimalRate(rate: string): { numerator: bigint; denominator: bigint } {
  const match = /^(\d{1,12})(?:\.(\d{1,12}))?$/.exec(rate);
  if (!match) throw new DomainError("validation_failed", `"${rate}" is not a non-negative decimal rate`);
  const fraction = match[2] ?? "";
  return { numerator: BigInt(match[1]! + fraction), denominator: 10n ** BigInt(fraction.length) };
}

export function applyRate(amount: number, rate: string, mode: RoundingMode): number {
  const { numerator, denominator } = parseDecimalRate(rate);
  return toSafe(divideRounded(BigInt(amount) * numerator, denominator, mode));
}

/**
 * Splits `total` across non-negative weights so the parts add up exactly to `total`: each
 * part is its exact share rounded down, and the units left over go one each to the parts
 * with the largest remainders (ties to the earlier part). Used to spread a discount or a
 * voucher over lines. When the weights sum to zero there is no proportion: the whole total
 * goes to the first part (so the parts still add up); no weights, no parts.
 */
export function allocateProportionally(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  let sum = 0;
  for (const w of weights) sum += w;
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const parts: number[] = [];
  const remainders: { i: number; r: number }[] = [];
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const product = total * weights[i]!;
    let q: number;
    let r: number;
    if (Number.isSafeInteger(product)) {
      // Exact in doubles: a quotient off by one from float division is corrected by its remainder.
      q = Math.floor(product / sum);
      r = product - q * sum;
      if (r < 0) {
        q -= 1;
        r += sum;
      } else if (r >= sum) {
        q += 1;
        r -= sum;
      }
    } else {
      const exact = BigInt(total) * BigInt(weights[i]!);
      q = toSafe(exact / BigInt(sum));
      r = Number(exact % BigInt(sum));
    }
    parts.push(q);
    remainders.push({ i, r });
    given += q;
  }
  let left = total - given;
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : b.r - a.r));
  for (const { i } of remainders) {
    if (left === 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}

/** Formats minor units for humans (exports, notices): 123456 at scale 2 → "1234.56". */
export function formatMinor(amount: number, scale: number): string {
  const negative = amount < 0;
  const digits = Math.abs(amount)
    .toString()
    .padStart(scale + 1, "0");
  const whole = scale === 0 ? digits : digits.slice(0, -scale);
  const fraction = scale === 0 ? "" : `.${digits.slice(-scale)}`;
  return `${negative ? "-" : ""}${whole}${fraction}`;
}
