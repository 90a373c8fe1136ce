import { describe, expect, it } from "vitest";
import type { SalesRule } from "./package-config.js";
import { priceFor, situationOf } from "./pricing.js";

const ZONE = "Asia/Shanghai";
/** The seed's rule: $199 original, $159 first purchase, $179 repeat, $169 early renewal, $139 during Oct 1-7, 2025. */
const SEED: SalesRule = {
  key: "quarterly",
  duration_days: 90,
  original_price: 19900,
  first_purchase_price: 15900,
  repeat_purchase_price: 17900,
  early_renewal_price: 16900,
  limited_time: { price: 13900, from_date: "2025-10-01", until_date: "2025-10-07" },
};
const ORIGINAL_ONLY: SalesRule = { key: "basic", duration_days: 90, original_price: 19900 };
const OUTSIDE = new Date("2025-10-10T04:00:00Z");
const INSIDE = new Date("2025-10-03T04:00:00Z");

describe("which price a sales rule charges (lowest that applies; the kind is recorded)", () => {
  it.each([
    ["first purchase", SEED, "first_purchase", OUTSIDE, 15900, "first_purchase"],
    ["repeat purchase", SEED, "repeat_purchase", OUTSIDE, 17900, "repeat_purchase"],
    ["early renewal", SEED, "early_renewal", OUTSIDE, 16900, "early_renewal"],
    ["limited time beats first purchase", SEED, "first_purchase", INSIDE, 13900, "limited_time"],
    ["limited time beats early renewal", SEED, "early_renewal", INSIDE, 13900, "limited_time"],
    ["no price for the situation: original", ORIGINAL_ONLY, "first_purchase", OUTSIDE, 19900, "original"],
    [
      "no repeat price: original",
      { ...SEED, repeat_purchase_price: undefined },
      "repeat_purchase",
      OUTSIDE,
      19900,
      "original",
    ],
  ] as const)("%s → %i (%s)", (_name, rule, situation, at, amount, kind) => {
    const price = priceFor(rule as SalesRule, situation, at, ZONE);
    expect(price.amount).toBe(amount);
    expect(price.kind).toBe(kind);
  });

  it("the promotion runs on its local dates inclusive: 7 Oct 23:59 in, 8 Oct 00:00 out (Shanghai)", () => {
    expect(priceFor(SEED, "first_purchase", new Date("2025-10-07T15:59:00Z"), ZONE).kind).toBe(
      "limited_time",
    );
    expect(priceFor(SEED, "first_purchase", new Date("2025-10-07T16:00:00Z"), ZONE).kind).toBe(
      "first_purchase",
    );
    expect(priceFor(SEED, "first_purchase", new Date("2025-09-30T16:00:00Z"), ZONE).kind).toBe(
      "limited_time",
    );
  });

  it("a price higher than the original never applies; a tie records the more specific kind", () => {
    const dear = priceFor({ ...ORIGINAL_ONLY, first_purchase_price: 25000 }, "first_purchase", OUTSIDE, ZONE);
    expect(dear).toMatchObject({ amount: 19900, kind: "original" });
    const tie = priceFor(
      { ...SEED, limited_time: { ...SEED.limited_time!, price: 15900 } },
      "first_purchase",
      INSIDE,
      ZONE,
    );
    expect(tie).toMatchObject({ amount: 15900, kind: "limited_time" });
  });

  it("explains every candidate: why the others do not apply", () => {
    const price = priceFor(SEED, "repeat_purchase", OUTSIDE, ZONE);
    expect(price.candidates).toEqual([
      { kind: "original", amount: 19900, applies: true, reason: null },
      { kind: "first_purchase", amount: 15900, applies: false, reason: "not_first_purchase" },
      { kind: "repeat_purchase", amount: 17900, applies: true, reason: null },
      { kind: "early_renewal", amount: 16900, applies: false, reason: "no_active_period" },
      { kind: "limited_time", amount: 13900, applies: false, reason: "outside_dates" },
    ]);
  });

  it("the situation: never bought → first; bought, nothing held → repeat; a period held → early renewal", () => {
    expect(situationOf({ boughtBefore: false, heldUntil: null })).toBe("first_purchase");
    expect(situationOf({ boughtBefore: true, heldUntil: null })).toBe("repeat_purchase");
    expect(situationOf({ boughtBefore: true, heldUntil: new Date() })).toBe("early_renewal");
  });
});
