import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AnyBenefit, AvailableItems, BenefitKind, KindConfig, MemberFacts } from "../benefits/index.js";
import {
  type CartLine,
  DEFAULT_POINTS_RULE,
  mulDivHalfUp,
  type QuoteInput,
  quote,
  type VoucherFacts,
} from "./quote-engine.js";

const RANKS = new Map([
  ["bronze", { plan: "other", rank: 9 }],
  ["silver", { plan: "standard", rank: 1 }],
  ["gold", { plan: "standard", rank: 2 }],
  ["platinum", { plan: "standard", rank: 3 }],
]);
const ZONE = "Asia/Shanghai";
// 2026-11-27 is a Friday; 12:00 in Shanghai is 04:00Z.
const FRIDAY_NOON = new Date("2026-11-27T04:00:00Z");

let seq = 0;
function benefit<K extends BenefitKind>(
  kind: K,
  config: KindConfig[K],
  extra: Partial<Omit<AnyBenefit, "kind" | "config">> = {},
): AnyBenefit {
  seq += 1;
  return {
    id: extra.id ?? `bnf_${String(seq).padStart(4, "0")}`,
    kind,
    name: extra.name ?? `${kind} ${seq}`,
    brief: null,
    description: null,
    icon: null,
    audience: extra.audience ?? {},
    config,
    stackable: extra.stackable ?? false,
    status: extra.status ?? "active",
    version: 1,
    createdBy: "test",
    updatedBy: "test",
    createdAt: new Date(0),
    updatedAt: new Date(0),
  } as AnyBenefit;
}

function member(tier: string | null, extra: Partial<MemberFacts> = {}): MemberFacts {
  return {
    id: "mbr_1",
    status: "active",
    cardPlan: "standard",
    tier,
    groups: [],
    tags: [],
    student: false,
    birthday: null,
    ...extra,
  };
}

const LINES: CartLine[] = [
  { sku: "tea", category: "drinks", quantity: 2, unitPrice: 1500 },
  { sku: "cake", category: "bakery", quantity: 1, unitPrice: 4000 },
];

function input(over: Partial<QuoteInput> = {}): QuoteInput {
  return {
    at: FRIDAY_NOON,
    timezone: ZONE,
    channel: "POS",
    currency: "CNY",
    lines: LINES,
    member: member("gold"),
    tierRanks: RANKS,
    benefits: [],
    vouchers: [],
    balanceAvailable: 0,
    payWithBalance: false,
    shippingAmount: 0,
    pointsRule: DEFAULT_POINTS_RULE,
    ...over,
  };
}

const reasonOf = (q: ReturnType<typeof quote>, id: string) =>
  q.benefitsNotApplied.find((r) => r.benefitId === id)?.reason;

describe("named roundings", () => {
  it.each([
    [1000, 8000, 10_000, 800],
    [1, 5000, 10_000, 1], // 0.5 rounds half up
    [3, 5000, 10_000, 2], // 1.5 → 2
    [999, 8000, 10_000, 799], // 799.2 → 799
    [999, 7000, 10_000, 699], // 699.3
    [2 ** 52, 8000, 10_000, 3602879701896397], // beyond 2^53 in the product: bigint path
  ])("line_percent_half_up %i × %i / %i = %i", (a, n, d, expected) => {
    expect(mulDivHalfUp(a, n, d)).toBe(expected);
  });
});

describe("seed 001 examples", () => {
  it("member discount 20 = pay 80%, line by line", () => {
    const b = benefit("member_discount", { discount_percent: 20 });
    const q = quote(input({ benefits: [b] }));
    expect(q.lines.map((l) => l.finalAmount)).toEqual([2400, 3200]);
    expect(q.total).toBe(5600);
    expect(q.memberDiscountTotal).toBe(1400);
    expect(q.benefitsApplied).toEqual([expect.objectContaining({ benefitId: b.id, discountAmount: 1400 })]);
  });

  it("rounds a percentage line once, half up", () => {
    const b = benefit("member_discount", { discount_percent: 15 });
    const q = quote(
      input({ benefits: [b], lines: [{ sku: "x", category: "c", quantity: 1, unitPrice: 999 }] }),
    );
    expect(q.total).toBe(849); // 849.15
    const q2 = quote(
      input({ benefits: [b], lines: [{ sku: "x", category: "c", quantity: 1, unitPrice: 10 }] }),
    );
    expect(q2.total).toBe(9); // 8.5 → 9
  });

  describe("Friday member day 10:00–22:00 in the tenant's zone", () => {
    const day = benefit("member_day", {
      schedule: {
        frequency: "weekly",
        days: [5],
        time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
      },
      discount_percent: 10,
    });
    it.each([
      ["Friday 09:59 Shanghai", "2026-11-27T01:59:00Z", "time_window"],
      ["Friday 10:00 Shanghai", "2026-11-27T02:00:00Z", null],
      ["Friday 21:59 Shanghai", "2026-11-27T13:59:00Z", null],
      ["Friday 22:00 Shanghai", "2026-11-27T14:00:00Z", "time_window"],
      [
        "Thursday 12:00 Shanghai (Friday 04:00 in UTC is not the rule)",
        "2026-11-26T04:00:00Z",
        "time_window",
      ],
      ["Saturday 01:00 Shanghai (still Friday in UTC)", "2026-11-27T17:00:00Z", "time_window"],
    ])("%s", (_label, at, reason) => {
      const q = quote(input({ benefits: [day], at: new Date(at) }));
      expect(reasonOf(q, day.id) ?? null).toBe(reason);
      expect(q.total).toBe(reason ? 7000 : 6300);
    });
  });

  it("monthly member day on the last day of the month, including February", () => {
    const last = benefit("member_day", {
      schedule: { frequency: "monthly", days: ["last"], time: { kind: "all_day" } },
      discount_percent: 10,
    });
    const at = (iso: string) => quote(input({ benefits: [last], at: new Date(iso) }));
    expect(at("2027-02-28T04:00:00Z").total).toBe(6300);
    expect(at("2028-02-28T04:00:00Z").total).toBe(7000); // 2028 is a leap year
    expect(at("2028-02-29T04:00:00Z").total).toBe(6300);
    expect(at("2026-11-30T04:00:00Z").total).toBe(6300);
  });

  describe("Silver tier and above", () => {
    const b = benefit("member_discount", { discount_percent: 10 }, { audience: { min_tier: "silver" } });
    it.each([
      [null, "audience"],
      ["bronze", "audience"],
      ["silver", null],
      ["gold", null],
      ["platinum", null],
    ])("tier %s", (tier, reason) => {
      const q = quote(input({ benefits: [b], member: member(tier) }));
      expect(reasonOf(q, b.id) ?? null).toBe(reason);
    });
    it("no member: member_required", () => {
      expect(reasonOf(quote(input({ benefits: [b], member: null })), b.id)).toBe("member_required");
    });
  });

  it("all tiers 10% off on member day, Platinum an extra 20% off and extra 20% points", () => {
    const day = benefit("member_day", {
      schedule: { frequency: "weekly", days: [5], time: { kind: "all_day" } },
      discount_percent: 10,
      perks: [{ audience: { tiers: ["platinum"] }, extra_discount_percent: 20, extra_points_percent: 20 }],
    });
    const gold = quote(input({ benefits: [day], member: member("gold") }));
    const plat = quote(input({ benefits: [day], member: member("platinum") }));
    expect(gold.total).toBe(6300); // 7000 × 0.9
    expect(plat.total).toBe(5040); // 7000 × 0.9 × 0.8
    expect(gold.points.earned).toBe(63);
    expect(plat.points).toMatchObject({ extraPercent: 20, earned: 60 }); // 50.4 × 1.2 = 60.48 → 60
  });

  it("Silver 20% off, Gold and above 30%: the member's best matching perk", () => {
    const bday = benefit("birthday", {
      period: "month",
      perks: [
        { audience: { tiers: ["silver"] }, discount_percent: 20 },
        { audience: { min_tier: "gold" }, discount_percent: 30, free_shipping: true },
      ],
    });
    const at = new Date("2026-11-10T04:00:00Z");
    const silver = quote(
      input({ at, benefits: [bday], member: member("silver", { birthday: "11-02" }), shippingAmount: 800 }),
    );
    const plat = quote(
      input({ at, benefits: [bday], member: member("platinum", { birthday: "11-02" }), shippingAmount: 800 }),
    );
    expect(silver.total).toBe(5600 + 800);
    expect(plat.total).toBe(4900);
    expect(plat.shipping).toEqual({ original: 800, final: 0 });
  });

  describe("birthday day vs week vs month", () => {
    // Birthday 2026-11-25 (a Wednesday); its ISO week is Mon 23 – Sun 29 November.
    const cases: [string, string, Record<"day" | "week" | "month", boolean>][] = [
      ["the birthday", "2026-11-25T04:00:00Z", { day: true, week: true, month: true }],
      ["Monday of its week", "2026-11-23T04:00:00Z", { day: false, week: true, month: true }],
      ["Sunday of its week", "2026-11-29T04:00:00Z", { day: false, week: true, month: true }],
      ["the Monday after", "2026-11-30T04:00:00Z", { day: false, week: false, month: true }],
      ["Sunday before", "2026-11-22T04:00:00Z", { day: false, week: false, month: true }],
      ["1 December", "2026-12-01T04:00:00Z", { day: false, week: false, month: false }],
    ];
    for (const period of ["day", "week", "month"] as const) {
      const b = benefit("birthday", { period, discount_percent: 30 });
      it.each(cases)(`${period}: %s`, (_label, at, expected) => {
        const q = quote(
          input({ at: new Date(at), benefits: [b], member: member("gold", { birthday: "1990-11-25" }) }),
        );
        expect(q.total === 4900).toBe(expected[period]);
        if (!expected[period]) expect(reasonOf(q, b.id)).toBe("time_window");
      });
    }
    it("a 29 February birthday is kept on 28 February in other years", () => {
      const b = benefit("birthday", { period: "day", discount_percent: 30 });
      const m = member("gold", { birthday: "02-29" });
      expect(quote(input({ at: new Date("2027-02-28T04:00:00Z"), benefits: [b], member: m })).total).toBe(
        4900,
      );
      expect(quote(input({ at: new Date("2027-03-01T04:00:00Z"), benefits: [b], member: m })).total).toBe(
        7000,
      );
      expect(quote(input({ at: new Date("2028-02-28T04:00:00Z"), benefits: [b], member: m })).total).toBe(
        7000,
      );
      expect(quote(input({ at: new Date("2028-02-29T04:00:00Z"), benefits: [b], member: m })).total).toBe(
        4900,
      );
    });
    it("a 31 December birthday's week reaches into January", () => {
      // 2026-12-31 is a Thursday; its week ends Sunday 2027-01-03.
      const b = benefit("birthday", { period: "week", discount_percent: 30 });
      const m = member("gold", { birthday: "12-31" });
      expect(quote(input({ at: new Date("2027-01-02T04:00:00Z"), benefits: [b], member: m })).total).toBe(
        4900,
      );
      expect(quote(input({ at: new Date("2027-01-04T04:00:00Z"), benefits: [b], member: m })).total).toBe(
        7000,
      );
    });
    it("no birthday on file", () => {
      const b = benefit("birthday", { period: "month", discount_percent: 30 });
      expect(reasonOf(quote(input({ benefits: [b] })), b.id)).toBe("no_birthday");
    });
  });

  it("excluded categories and products keep their price", () => {
    const cat = benefit("member_discount", {
      discount_percent: 20,
      items: { kind: "exclude_categories", categories: ["bakery"] },
    });
    const q = quote(input({ benefits: [cat] }));
    expect(q.lines.map((l) => l.finalAmount)).toEqual([2400, 4000]);
    const sku = benefit("member_discount", {
      discount_percent: 20,
      items: { kind: "exclude_products", skus: ["tea", "cake"] },
    });
    expect(reasonOf(quote(input({ benefits: [sku] })), sku.id)).toBe("excluded_item");
  });

  it("member price per product, only when lower, by channel", () => {
    const mp = benefit("member_pricing", {
      prices: [
        { sku: "cake", price: 3000 },
        { sku: "tea", price: 1600 },
      ],
      channels: ["ONLINE"],
    });
    expect(reasonOf(quote(input({ benefits: [mp] })), mp.id)).toBe("channel");
    const q = quote(input({ benefits: [mp], channel: "ONLINE" }));
    expect(q.lines.map((l) => l.finalAmount)).toEqual([3000, 3000]);
    const none = benefit("member_pricing", { prices: [{ sku: "other", price: 1 }] });
    expect(reasonOf(quote(input({ benefits: [none] })), none.id)).toBe("no_member_price");
  });

  it("the best single reduction per line wins; the others are not_best; stackable ones add", () => {
    const d10 = benefit("member_discount", { discount_percent: 10 });
    const mp = benefit("member_pricing", { prices: [{ sku: "cake", price: 3000 }] });
    const d20 = benefit("member_discount", {
      discount_percent: 20,
      items: { kind: "exclude_categories", categories: ["bakery"] },
    });
    const q = quote(input({ benefits: [d10, mp, d20] }));
    // tea: 20% beats 10%; cake: member price 3000 beats 10% (3600).
    expect(q.lines.map((l) => l.finalAmount)).toEqual([2400, 3000]);
    expect(reasonOf(q, d10.id)).toBe("not_best");
    const stack = benefit("member_discount", { discount_percent: 5 }, { stackable: true });
    const s = quote(input({ benefits: [d10, mp, d20, stack] }));
    expect(s.lines.map((l) => l.finalAmount)).toEqual([2280, 2850]);
  });

  describe("restriction rules with balances just above and below", () => {
    const at = (r: KindConfig["member_discount"]["restrictions"]) =>
      benefit("member_discount", { discount_percent: 20, restrictions: r });
    const fixed = at([{ kind: "balance_below_amount", amount: 5000 }]);
    const outstanding = at([{ kind: "balance_below_outstanding" }]);
    const discounted = at([{ kind: "balance_below_discounted_outstanding" }]);
    it.each([
      [fixed, 4999, "restriction_balance_below_amount"],
      [fixed, 5000, null],
      [fixed, 5001, null],
      [outstanding, 6999, "restriction_balance_below_outstanding"],
      [outstanding, 7000, null],
      [discounted, 5599, "restriction_balance_below_discounted_outstanding"],
      [discounted, 5600, null],
      [discounted, 5601, null],
    ])("%#: balance %i", (b, balance, reason) => {
      const q = quote(input({ benefits: [b], balanceAvailable: balance }));
      expect(reasonOf(q, b.id) ?? null).toBe(reason);
      expect(q.total).toBe(reason ? 7000 : 5600);
    });
  });

  it("multiplier points by channel and time scope; member day double points", () => {
    const x2 = benefit("multiplier_points", {
      multiplier: "2",
      channels: ["POS"],
      valid_until: "2026-12-01T00:00:00Z",
    });
    expect(quote(input({ benefits: [x2] })).points).toMatchObject({ multiplier: "2", earned: 140 });
    expect(quote(input({ benefits: [x2], at: new Date("2026-12-01T00:00:00Z") })).points.earned).toBe(70);
    expect(reasonOf(quote(input({ benefits: [x2], channel: "ONLINE" })), x2.id)).toBe("channel");
    const x15 = benefit("multiplier_points", { multiplier: "1.5" });
    expect(quote(input({ benefits: [x15] })).points).toMatchObject({ multiplier: "1.5", earned: 105 });
    // The best multiplier counts, not their product.
    expect(quote(input({ benefits: [x15, x2] })).points.multiplier).toBe("2");
    expect(quote(input({ member: null })).points.earned).toBe(0);
  });

  it("promotional 20 off 100 after member prices, before vouchers", () => {
    const promo = benefit("promotional", {
      campaign_id: "cmp_1",
      order_reduction: { min_amount: 5000, amount: 2000 },
    });
    const d20 = benefit("member_discount", { discount_percent: 20 });
    const q = quote(input({ benefits: [promo, d20] }));
    expect(q.total).toBe(3600);
    expect(q.orderReductionTotal).toBe(2000);
    const big = benefit("member_discount", { discount_percent: 40 });
    expect(reasonOf(quote(input({ benefits: [promo, big] })), promo.id)).toBe("below_min_amount");
  });
});

describe("vouchers and balance", () => {
  const voucher = (over: Partial<VoucherFacts> = {}): VoucherFacts => ({
    id: "vch_a",
    memberId: "mbr_1",
    asset: "CNY",
    balance: 1000,
    usable: true,
    startsAt: new Date("2026-01-01T00:00:00Z"),
    expiresAt: new Date("2027-01-01T00:00:00Z"),
    scope: { kind: "all", skus: [] },
    minAmount: 0,
    ...over,
  });

  it("applies after member benefits, spread over lines in proportion", () => {
    const d20 = benefit("member_discount", { discount_percent: 20 });
    const q = quote(input({ benefits: [d20], vouchers: [voucher()] }));
    expect(q.total).toBe(4600);
    expect(q.vouchersApplied).toEqual([{ voucherId: "vch_a", amount: 1000 }]);
    expect(q.lines.map((l) => l.finalAmount)).toEqual([2400 - 429, 3200 - 571]);
  });

  it.each([
    [{ memberId: "mbr_other" }, "not_owner"],
    [{ asset: "USD" }, "currency"],
    [{ usable: false }, "not_usable"],
    [{ startsAt: new Date("2026-12-01T00:00:00Z") }, "not_started"],
    [{ expiresAt: FRIDAY_NOON }, "expired"],
    [{ balance: 0 }, "empty"],
    [{ minAmount: 7001 }, "below_min_amount"],
    [{ scope: { kind: "allow" as const, skus: ["nothing"] } }, "no_eligible_item"],
  ])("refuses %o: %s", (over, reason) => {
    const q = quote(input({ vouchers: [voucher(over)] }));
    expect(q.vouchersNotApplied).toEqual([{ voucherId: "vch_a", reason }]);
    expect(q.total).toBe(7000);
  });

  it("a voucher larger than the order covers it and no more; the next finds nothing left", () => {
    const q = quote(
      input({
        vouchers: [
          voucher({ balance: 9000 }),
          voucher({ id: "vch_b", expiresAt: new Date("2027-06-01T00:00:00Z") }),
        ],
      }),
    );
    expect(q.total).toBe(0);
    expect(q.vouchersApplied).toEqual([{ voucherId: "vch_a", amount: 7000 }]);
    expect(q.vouchersNotApplied).toEqual([{ voucherId: "vch_b", reason: "order_fully_paid" }]);
  });

  it("balance pays last, up to what is available", () => {
    expect(quote(input({ payWithBalance: true, balanceAvailable: 2500 })).balance).toEqual({
      available: 2500,
      payWithBalance: true,
      amount: 2500,
      remainingPayable: 4500,
    });
    expect(quote(input({ payWithBalance: true, balanceAvailable: 9999 })).balance.amount).toBe(7000);
    expect(quote(input({ payWithBalance: false, balanceAvailable: 9999 })).balance.amount).toBe(0);
  });
});

describe("properties", () => {
  const lineArb = fc.record({
    sku: fc.constantFrom("a", "b", "c", "d", "e"),
    category: fc.constantFrom("x", "y", "z"),
    quantity: fc.integer({ min: 1, max: 20 }),
    unitPrice: fc.integer({ min: 0, max: 100_000 }),
  });
  const percent = fc.integer({ min: 1, max: 99 });
  const items = fc.constantFrom<AvailableItems[]>(
    { kind: "all" },
    { kind: "exclude_categories", categories: ["y"] },
    { kind: "exclude_products", skus: ["a", "c"] },
  );
  const benefitArb = fc.oneof(
    fc
      .record({ p: percent, items, s: fc.boolean() })
      .map(({ p, items, s }) => benefit("member_discount", { discount_percent: p, items }, { stackable: s })),
    fc
      .record({ price: fc.integer({ min: 0, max: 100_000 }) })
      .map(({ price }) => benefit("member_pricing", { prices: [{ sku: "b", price }] })),
    fc.record({ p: percent, e: percent }).map(({ p, e }) =>
      benefit("member_day", {
        schedule: { frequency: "weekly", days: [5], time: { kind: "all_day" } },
        discount_percent: p,
        perks: [{ audience: { tiers: ["gold"] }, extra_discount_percent: e }],
      }),
    ),
    fc
      .record({
        min: fc.integer({ min: 0, max: 50_000 }),
        amount: fc.integer({ min: 1, max: 50_000 }),
        s: fc.boolean(),
      })
      .map(({ min, amount, s }) =>
        benefit(
          "promotional",
          { campaign_id: "c", order_reduction: { min_amount: min, amount } },
          { stackable: s },
        ),
      ),
    fc.constantFrom("1.5", "2", "3").map((m) => benefit("multiplier_points", { multiplier: m })),
  );
  const voucherArb = fc.record({
    id: fc.constantFrom("vch_1", "vch_2", "vch_3"),
    balance: fc.integer({ min: 0, max: 100_000 }),
    minAmount: fc.integer({ min: 0, max: 10_000 }),
  });
  const scenario = fc.record({
    lines: fc.array(lineArb, { minLength: 1, maxLength: 20 }),
    benefits: fc.array(benefitArb, { maxLength: 8 }),
    vouchers: fc.uniqueArray(voucherArb, { maxLength: 3, selector: (v) => v.id }),
    shipping: fc.integer({ min: 0, max: 2000 }),
    balance: fc.integer({ min: 0, max: 200_000 }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const build = (s: Scenario): QuoteInput =>
    input({
      lines: s.lines,
      benefits: s.benefits,
      vouchers: s.vouchers.map((v) => ({
        id: v.id,
        memberId: "mbr_1",
        asset: "CNY",
        balance: v.balance,
        usable: true,
        startsAt: new Date(0),
        expiresAt: new Date("2030-01-01T00:00:00Z"),
        scope: { kind: "all", skus: [] },
        minAmount: v.minAmount,
      })),
      shippingAmount: s.shipping,
      balanceAvailable: s.balance,
      payWithBalance: true,
    });

  it("total never negative, never above the no-benefit total; lines add up", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const q = quote(build(s));
        expect(q.total).toBeGreaterThanOrEqual(0);
        expect(q.total).toBeLessThanOrEqual(q.noBenefitTotal);
        for (const l of q.lines) {
          expect(l.finalAmount).toBeGreaterThanOrEqual(0);
          expect(l.finalAmount).toBeLessThanOrEqual(l.originalAmount);
          expect(l.originalAmount - l.adjustments.reduce((a, x) => a + x.amount, 0)).toBe(l.finalAmount);
        }
        expect(q.lines.reduce((a, l) => a + l.finalAmount, 0) + q.shipping.final).toBe(q.total);
        expect(q.originalSubtotal - q.memberDiscountTotal - q.orderReductionTotal - q.voucherTotal).toBe(
          q.total - q.shipping.final,
        );
        expect(q.balance.amount + q.balance.remainingPayable).toBe(q.total);
      }),
      { numRuns: 300 },
    );
  });

  it("deterministic, and independent of the order of lines, benefits and vouchers", () => {
    fc.assert(
      fc.property(scenario, fc.integer(), (s, salt) => {
        const a = quote(build(s));
        expect(quote(build(s))).toEqual(a);
        const shuffle = <T>(xs: T[]) =>
          xs
            .map((x, i) => ({ x, k: Math.imul(i + 1, 2654435761 ^ salt) >>> 0 }))
            .sort((p, q) => p.k - q.k)
            .map((p) => p.x);
        const b = quote(
          build({
            ...s,
            lines: shuffle(s.lines),
            benefits: shuffle(s.benefits),
            vouchers: shuffle(s.vouchers),
          }),
        );
        expect(b.total).toBe(a.total);
        expect(b.points).toEqual(a.points);
        expect(b.vouchersApplied).toEqual(a.vouchersApplied);
        expect(b.benefitsApplied).toEqual(a.benefitsApplied);
        expect(b.benefitsNotApplied).toEqual(a.benefitsNotApplied);
        const key = (l: {
          sku: string;
          category: string;
          quantity: number;
          unitPrice: number;
          finalAmount: number;
        }) => `${l.sku}|${l.category}|${l.quantity}|${l.unitPrice}|${l.finalAmount}`;
        expect(b.lines.map(key).sort()).toEqual(a.lines.map(key).sort());
      }),
      { numRuns: 300 },
    );
  });

  it("a line's single price is the lowest any benefit gives it, of equal ones the first in (kind, id) order", () => {
    // Prices and percentages from small sets, so different benefits often give a line the
    // same amount; the expected winner is found by trying every benefit on every line.
    const rank = { member_pricing: 0, member_discount: 1, birthday: 3 } as const;
    const single = fc.oneof(
      fc
        .record({ p: fc.constantFrom(10, 15, 20, 25, 50), items, id: fc.integer({ min: 0, max: 99 }) })
        .map(({ p, items, id }) =>
          benefit(
            "member_discount",
            { discount_percent: p, items },
            { id: `bnf_${String(id).padStart(4, "0")}` },
          ),
        ),
      fc
        .record({
          prices: fc.uniqueArray(
            fc.record({ sku: fc.constantFrom("a", "b", "c"), price: fc.constantFrom(750, 800, 850, 900) }),
            { selector: (x) => x.sku, minLength: 1, maxLength: 3 },
          ),
          items,
          id: fc.integer({ min: 0, max: 99 }),
        })
        .map(({ prices, items, id }) =>
          benefit("member_pricing", { prices, items }, { id: `bnf_${String(id).padStart(4, "0")}` }),
        ),
      fc
        .record({ p: fc.constantFrom(10, 20, 25), id: fc.integer({ min: 0, max: 99 }) })
        .map(({ p, id }) =>
          benefit(
            "birthday",
            { period: "month", discount_percent: p },
            { id: `bnf_${String(id).padStart(4, "0")}` },
          ),
        ),
    );
    const lines = fc.array(
      fc.record({
        sku: fc.constantFrom("a", "b", "c", "d"),
        category: fc.constantFrom("x", "y", "z"),
        quantity: fc.integer({ min: 1, max: 3 }),
        unitPrice: fc.constantFrom(999, 1000, 1001, 1067),
      }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(
        lines,
        fc.uniqueArray(single, { maxLength: 12, selector: (b) => b.id }),
        (cart, benefits) => {
          const q = quote(input({ lines: cart, benefits, member: member("gold", { birthday: "11-25" }) }));
          cart.forEach((line, i) => {
            const original = line.unitPrice * line.quantity;
            let best: { id: string; kind: number; amount: number } | null = null;
            for (const b of benefits) {
              const items = (b.config as { items?: AvailableItems }).items;
              if (items?.kind === "exclude_products" && items.skus.includes(line.sku)) continue;
              if (items?.kind === "exclude_categories" && items.categories.includes(line.category)) continue;
              const price =
                b.kind === "member_pricing"
                  ? b.config.prices.find((x) => x.sku === line.sku)?.price
                  : undefined;
              const percent = (b.config as { discount_percent?: number }).discount_percent;
              const amount =
                b.kind === "member_pricing"
                  ? price === undefined
                    ? original
                    : price * line.quantity
                  : mulDivHalfUp(original, 100 - percent!, 100);
              const kind = rank[b.kind as keyof typeof rank];
              if (amount >= original) continue;
              const earlier = best !== null && (kind < best.kind || (kind === best.kind && b.id < best.id));
              if (!best || amount < best.amount || (amount === best.amount && earlier))
                best = { id: b.id, kind, amount };
            }
            const taken = q.lines[i]!.adjustments.filter((a) => a.source === "benefit");
            expect(taken).toEqual(
              best ? [{ source: "benefit", id: best.id, amount: original - best.amount }] : [],
            );
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("no member, no benefit: the no-benefit total", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const q = quote({ ...build(s), member: null, vouchers: [] });
        expect(q.total).toBe(q.noBenefitTotal);
      }),
    );
  });
});

describe("entitlements", () => {
  const HOUR = 3_600_000;
  const held = (benefitId: string, from: number, until: number, sourceId = "pkgp_1") => ({
    benefitId,
    sourceType: "package_period",
    sourceId,
    sourceName: "Premium",
    validFrom: new Date(FRIDAY_NOON.getTime() + from * HOUR),
    validUntil: new Date(FRIDAY_NOON.getTime() + until * HOUR),
  });

  it("count as an audience match only inside their window, and name their source", () => {
    const b = benefit("member_discount", { discount_percent: 20 }, { audience: { tiers: ["platinum"] } });
    const outside = quote(input({ benefits: [b] }));
    expect(reasonOf(outside, b.id)).toBe("audience");
    expect(outside.benefitsNotApplied[0]!.source).toBeNull();
    const inside = quote(input({ benefits: [b], entitlements: [held(b.id, -1, 1)] }));
    expect(inside.total).toBe(5600);
    expect(inside.benefitsApplied[0]!.source).toEqual({
      kind: "entitlement",
      sourceType: "package_period",
      sourceId: "pkgp_1",
      sourceName: "Premium",
      validUntil: new Date(FRIDAY_NOON.getTime() + HOUR),
    });
    // Starts later, or ended exactly now: not in force.
    expect(reasonOf(quote(input({ benefits: [b], entitlements: [held(b.id, 1, 5)] })), b.id)).toBe(
      "audience",
    );
    expect(reasonOf(quote(input({ benefits: [b], entitlements: [held(b.id, -5, 0)] })), b.id)).toBe(
      "audience",
    );
  });

  it("the audience comes first; an entitlement does not lift the benefit's other rules", () => {
    const b = benefit(
      "member_discount",
      { discount_percent: 20, channels: ["ONLINE"] },
      { audience: { tiers: ["gold"] } },
    );
    const q = quote(input({ benefits: [b], entitlements: [held(b.id, -1, 1)] }));
    expect(q.benefitsNotApplied).toEqual([
      expect.objectContaining({ benefitId: b.id, reason: "channel", source: { kind: "audience" } }),
    ]);
    const online = quote(input({ channel: "ONLINE", benefits: [b], entitlements: [held(b.id, -1, 1)] }));
    expect(online.benefitsApplied[0]!.source).toEqual({ kind: "audience" });
  });

  it("of several entitlements to one benefit, the one lasting longest is named", () => {
    const b = benefit("multiplier_points", { multiplier: "2" }, { audience: { tiers: ["platinum"] } });
    const q = quote(input({ benefits: [b], entitlements: [held(b.id, -1, 2, "a"), held(b.id, -1, 9, "b")] }));
    expect(q.benefitsApplied[0]!.source).toMatchObject({ kind: "entitlement", sourceId: "b" });
  });
});
