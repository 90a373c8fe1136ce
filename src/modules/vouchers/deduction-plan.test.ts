import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planDeductions, planLineRefund, type UsableVoucher } from "./deduction-plan.js";

const day = (d: number) => new Date(Date.UTC(2026, 11, d));
const v = (
  id: string,
  balance: number,
  expiresDay: number,
  scope: UsableVoucher["scope"] = { kind: "all", productCodes: [] },
  minBillAmount = 0,
): UsableVoucher => ({
  id,
  balance,
  expiresAt: day(expiresDay),
  scope,
  minBillAmount,
});

describe("deduction order", () => {
  it("earliest expiry first, then smallest balance, then issue order; partial use keeps the rest", () => {
    const lines = [{ product_code: "cvm", amount: 1000 }];
    const plan = planDeductions(lines, [v("c", 300, 10), v("b", 800, 5), v("a", 500, 5), v("d", 100, 10)]);
    expect(plan).toEqual([
      { voucherId: "a", lineIndex: 0, amount: 500 },
      { voucherId: "b", lineIndex: 0, amount: 500 },
    ]);
    const tie = planDeductions(lines, [v("y", 400, 5), v("x", 400, 5)]);
    expect(tie.map((d) => d.voucherId)).toEqual(["x", "y"]);
  });

  it("honours each scope kind per line", () => {
    const lines = [
      { product_code: "cvm", amount: 100 },
      { product_code: "cos", amount: 100 },
      { product_code: "domain", amount: 100 },
    ];
    const plan = planDeductions(lines, [
      v("allow", 1000, 1, { kind: "allow", productCodes: ["cos"] }),
      v("deny", 1000, 2, { kind: "deny", productCodes: ["domain"] }),
    ]);
    expect(plan).toEqual([
      { voucherId: "allow", lineIndex: 1, amount: 100 },
      { voucherId: "deny", lineIndex: 0, amount: 100 },
    ]);
  });

  it("skips a voucher whose minimum bill amount the bill's total does not reach", () => {
    const lines = [
      { product_code: "cvm", amount: 600 },
      { product_code: "cos", amount: 400 },
    ];
    expect(planDeductions(lines, [v("min", 500, 1, undefined, 1001)])).toEqual([]);
    expect(planDeductions(lines, [v("min", 500, 1, undefined, 1000)])).toEqual([
      { voucherId: "min", lineIndex: 0, amount: 500 },
    ]);
  });

  it("never deducts more than a line or a voucher holds (property)", () => {
    const line = fc.record({
      product_code: fc.constantFrom("a", "b", "c"),
      amount: fc.integer({ min: 1, max: 10_000 }),
    });
    const voucher = fc.record({
      id: fc.uuid(),
      balance: fc.integer({ min: 1, max: 10_000 }),
      expiresAt: fc.integer({ min: 1, max: 28 }).map(day),
      minBillAmount: fc.integer({ min: 0, max: 20_000 }),
      scope: fc.oneof(
        fc.constant({ kind: "all" as const, productCodes: [] as string[] }),
        fc.record({
          kind: fc.constantFrom("allow" as const, "deny" as const),
          productCodes: fc.subarray(["a", "b", "c"], { minLength: 1 }),
        }),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(voucher, { selector: (x) => x.id, maxLength: 6 }),
        (lines, vouchers) => {
          const plan = planDeductions(lines, vouchers);
          lines.forEach((l, i) => {
            const used = plan.filter((d) => d.lineIndex === i).reduce((s, d) => s + d.amount, 0);
            expect(used).toBeLessThanOrEqual(l.amount);
          });
          for (const x of vouchers) {
            const used = plan.filter((d) => d.voucherId === x.id).reduce((s, d) => s + d.amount, 0);
            expect(used).toBeLessThanOrEqual(x.balance);
          }
          expect(plan.every((d) => d.amount > 0)).toBe(true);
        },
      ),
    );
  });
});

describe("refund share", () => {
  it("returns the vouchers' share rounded down until the line is refunded in full", () => {
    // Line of 1000, vouchers deducted 333 (a: 222, b: 111).
    const usages = [
      { voucherId: "a", outstanding: 222 },
      { voucherId: "b", outstanding: 111 },
    ];
    const first = planLineRefund(
      { lineAmount: 1000, deducted: 333, refundedBefore: 0, returnedBefore: 0, usages },
      500,
    );
    // 333 × 500 / 1000 = 166.5 → 166 (down), split 2:1.
    expect(first).toEqual([
      { voucherId: "a", outstanding: 111 },
      { voucherId: "b", outstanding: 55 },
    ]);
    const rest = planLineRefund(
      {
        lineAmount: 1000,
        deducted: 333,
        refundedBefore: 500,
        returnedBefore: 166,
        usages: [
          { voucherId: "a", outstanding: 111 },
          { voucherId: "b", outstanding: 56 },
        ],
      },
      500,
    );
    expect(rest).toEqual([
      { voucherId: "a", outstanding: 111 },
      { voucherId: "b", outstanding: 56 },
    ]);
  });

  it("many small refunds return exactly what one full refund does (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 }),
        (lineAmount, percent, weights) => {
          const deducted = Math.floor((lineAmount * percent) / 100);
          const sum = weights.reduce((a, b) => a + b, 0);
          const pieces = weights.map((w) => Math.floor((lineAmount * w) / sum));
          pieces[pieces.length - 1]! += lineAmount - pieces.reduce((a, b) => a + b, 0);
          let refunded = 0;
          let returned = 0;
          for (const piece of pieces) {
            const parts = planLineRefund(
              {
                lineAmount,
                deducted,
                refundedBefore: refunded,
                returnedBefore: returned,
                usages: [{ voucherId: "a", outstanding: deducted - returned }],
              },
              piece,
            );
            refunded += piece;
            returned += parts.reduce((s, p) => s + p.outstanding, 0);
            expect(returned).toBeLessThanOrEqual(deducted);
          }
          expect(returned).toBe(deducted);
        },
      ),
    );
  });
});
