import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateProportionally } from "./money.js";

describe("allocateProportionally", () => {
  it("splits by weight, rounding down, the leftover units to the largest remainders", () => {
    expect(allocateProportionally(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateProportionally(10, [3, 3, 4])).toEqual([3, 3, 4]);
    expect(allocateProportionally(7, [2500, 1500])).toEqual([4, 3]);
    // remainders 2/3 and 1/3: the larger remainder gets the unit
    expect(allocateProportionally(2, [1, 2])).toEqual([1, 1]);
    expect(allocateProportionally(0, [5, 7])).toEqual([0, 0]);
  });

  it("gives the whole total to the first part when the weights sum to zero, and nothing without weights", () => {
    expect(allocateProportionally(500, [0, 0, 0])).toEqual([500, 0, 0]);
    expect(allocateProportionally(500, [0])).toEqual([500]);
    expect(allocateProportionally(500, [])).toEqual([]);
  });

  it("stays exact where products pass 2^53", () => {
    const big = Number.MAX_SAFE_INTEGER;
    const parts = allocateProportionally(big, [big, 1]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(big);
    expect(parts[1]).toBe(1);
  });

  it("always adds up, each part within one unit of its exact share, ties to the earlier part", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          const parts = allocateProportionally(total, weights);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          if (sum === 0) return;
          parts.forEach((part, i) => {
            const exact = (BigInt(total) * BigInt(weights[i]!)) / BigInt(sum);
            expect(BigInt(part) - exact >= 0n && BigInt(part) - exact <= 1n).toBe(true);
          });
          // Equal weights: earlier parts are never smaller than later ones.
          for (let i = 1; i < weights.length; i++) {
            if (weights[i] === weights[i - 1]) expect(parts[i - 1]!).toBeGreaterThanOrEqual(parts[i]!);
          }
        },
      ),
    );
  });
  it("gives the leftover units to the largest remainders, ties to the earlier part, as exact bigint arithmetic does", () => {
    // Small weights take the numeric orderings (insertion up to 64 parts, a typed array beyond),
    // weights near 10^15 the general one.
    const weight = fc.oneof(
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 0, max: 1_000_000_000_000_000 }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000_000 }),
        fc.array(weight, { minLength: 1, maxLength: 100 }),
        (total, weights) => {
          const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
          fc.pre(sum > 0n && sum <= BigInt(Number.MAX_SAFE_INTEGER));
          const exact = weights.map((w, i) => ({
            i,
            q: (BigInt(total) * BigInt(w)) / sum,
            r: (BigInt(total) * BigInt(w)) % sum,
          }));
          let left = BigInt(total) - exact.reduce((a, e) => a + e.q, 0n);
          const expected = exact.map((e) => e.q);
          for (const e of [...exact].sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1))) {
            if (left === 0n) break;
            expected[e.i]! += 1n;
            left -= 1n;
          }
          expect(allocateProportionally(total, weights)).toEqual(expected.map(Number));
        },
      ),
      { numRuns: 500 },
    );
  });
});
