/** Exact integer arithmetic of the pricing engine: bigint only when a product could pass 2^53. */

/** a × num / den rounded half up, a ≥ 0, num ≥ 0, den > 0. */
export function mulDivHalfUp(a: number, num: number, den: number): number {
  const n = a * num;
  if (Number.isSafeInteger(n)) {
    let q = Math.floor(n / den);
    let r = n - q * den;
    if (r < 0) {
      q -= 1;
      r += den;
    } else if (r >= den) {
      q += 1;
      r -= den;
    }
    return r * 2 >= den ? q + 1 : q;
  }
  const bn = BigInt(a) * BigInt(num);
  const bd = BigInt(den);
  const q = bn / bd;
  return Number((bn % bd) * 2n >= bd ? q + 1n : q);
}

/**
 * Multipliers are a handful of values per catalog, converted on every quote: both directions
 * are remembered (bounded, cleared when full).
 */
const MEMO_SIZE = 1024;
const bpsByMultiplier = new Map<string, number>();
const multiplierByBps = new Map<number, string>();

/** Exact "2" / "1.5" → basis points (2 → 20000). */
export function multiplierBps(multiplier: string): number {
  const hit = bpsByMultiplier.get(multiplier);
  if (hit !== undefined) return hit;
  const [whole, frac = ""] = multiplier.split(".");
  const bps = Number(whole) * 10_000 + Number(frac.padEnd(4, "0").slice(0, 4));
  if (bpsByMultiplier.size >= MEMO_SIZE) bpsByMultiplier.clear();
  bpsByMultiplier.set(multiplier, bps);
  return bps;
}

export function bpsToMultiplier(bps: number): string {
  const hit = multiplierByBps.get(bps);
  if (hit !== undefined) return hit;
  const whole = Math.floor(bps / 10_000);
  const frac = String(bps % 10_000)
    .padStart(4, "0")
    .replace(/0+$/, "");
  const multiplier = frac ? `${whole}.${frac}` : String(whole);
  if (multiplierByBps.size >= MEMO_SIZE) multiplierByBps.clear();
  multiplierByBps.set(bps, multiplier);
  return multiplier;
}
