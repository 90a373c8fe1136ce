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
 * Places in order of remainder, largest first, ties to the earlier place. Every remainder is
 * below `sum`; when `sum × places` is a safe integer, each (remainder, place) is one exact
 * number, and numbers sort without a comparator call per pair: by insertion for the few
 * places of a cart, in a typed array beyond that.
 */
function byRemainderThenPlace(remainders: readonly number[], sum: number): number[] {
  const n = remainders.length;
  if (!(sum > 0 && Number.isSafeInteger(sum * n))) {
    return remainders
      .map((r, i) => ({ r, i }))
      .sort((a, b) => (a.r === b.r ? a.i - b.i : b.r - a.r))
      .map((x) => x.i);
  }
  let keys: ArrayLike<number> & { [k: number]: number };
  if (n <= 64) {
    keys = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const key = remainders[i]! * n + (n - 1 - i);
      let j = i;
      for (; j > 0 && keys[j - 1]! > key; j--) keys[j] = keys[j - 1]!;
      keys[j] = key;
    }
  } else {
    keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = remainders[i]! * n + (n - 1 - i);
    (keys as Float64Array).sort();
  }
  const out: number[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = n - 1 - (keys[n - 1 - k]! % n);
  return out;
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
  const n = weights.length;
  const parts: number[] = new Array(n);
  const remainders: number[] = new Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
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
    parts[i] = q;
    remainders[i] = r;
    given += q;
  }
  let left = total - given;
  if (left === 0) return parts;
  for (const i of byRemainderThenPlace(remainders, sum)) {
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
