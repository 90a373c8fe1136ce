/**
 * The order the checkout benches quote, and the tenant it is quoted for: a card plan of three
 * tiers, a platinum member with a birthday, 50 benefits of the pricing kinds and a 20-line
 * order. Shared by the checkout bench and `bench/ab.ts --route quote`.
 */
import type { BenefitKind } from "../src/modules/benefits/index.js";

const CATEGORIES = ["drinks", "bakery", "snacks", "gifts", "sale"];
export const LINES = Array.from({ length: 20 }, (_, i) => ({
  sku: `sku-${i}`,
  category: CATEGORIES[i % CATEGORIES.length]!,
  quantity: 1 + (i % 3),
  unit_price: 990 + i * 137,
}));

/** 50 benefits of the pricing kinds, in the API's shape. */
export function benefitPayloads(campaignId: string): {
  kind: BenefitKind;
  name: string;
  audience: object;
  config: object;
  stackable?: boolean;
}[] {
  const out: { kind: BenefitKind; name: string; audience: object; config: object; stackable?: boolean }[] =
    [];
  for (let i = 0; i < 10; i++) {
    out.push({
      kind: "member_discount",
      name: `discount ${i}`,
      audience: { min_tier: i % 2 ? "bench_silver" : "bench_gold" },
      config: { discount_percent: 5 + i, items: { kind: "exclude_categories", categories: ["sale"] } },
      stackable: i === 9,
    });
    out.push({
      kind: "member_pricing",
      name: `member price ${i}`,
      audience: {},
      config: {
        prices: LINES.slice(i, i + 10).map((l) => ({ sku: l.sku, price: l.unit_price - 50 - i })),
        channels: ["POS"],
      },
    });
    out.push({
      kind: "member_day",
      name: `member day ${i}`,
      audience: { min_tier: "bench_silver" },
      config: {
        schedule: {
          frequency: "weekly",
          days: [1 + (i % 7)],
          time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
        },
        discount_percent: 10,
        perks: [
          { audience: { tiers: ["bench_platinum"] }, extra_discount_percent: 20, extra_points_percent: 20 },
        ],
        restrictions: [{ kind: "balance_below_discounted_outstanding" }],
      },
    });
    out.push({
      kind: "birthday",
      name: `birthday ${i}`,
      audience: {},
      config: { period: (["day", "week", "month"] as const)[i % 3], discount_percent: 15 + i },
    });
    out.push(
      i < 5
        ? {
            kind: "promotional",
            name: `promo ${i}`,
            audience: {},
            config: {
              campaign_id: campaignId,
              order_reduction: { min_amount: 10_000 * (i + 1), amount: 1000 * (i + 1) },
            },
          }
        : {
            kind: "multiplier_points",
            name: `points ${i}`,
            audience: {},
            config: { multiplier: String(i - 3) },
          },
    );
  }
  return out;
}

/**
 * Sets up the demo tenant that `apiKey` opens on the server at `url` (through its API), and
 * returns the body of the quote request to send.
 */
export async function seedQuoteTenant(url: string, apiKey: string): Promise<string> {
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${url}${p}`, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`POST ${p} → ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  await fetch(`${url}/v1/tenant`, {
    method: "PATCH",
    headers,
    body: JSON.stringify({ timezone: "Asia/Shanghai" }),
  });
  // Codes of its own: tier codes are the tenant's, and the demo tenant the key opens has a card
  // plan of its own (silver, gold, diamond), seeded as the server starts.
  await post("/v1/card-plans", {
    code: "bench_standard",
    name: "Standard",
    validity: { kind: "relative", days: 365 },
    tiers: [
      { code: "bench_silver", name: "Silver", rank: 1 },
      { code: "bench_gold", name: "Gold", rank: 2 },
      { code: "bench_platinum", name: "Platinum", rank: 3 },
    ],
  });
  const member = await post("/v1/members", { name: "Bench", tier: "bench_platinum", birthday: "11-25" });
  const campaign = await post("/v1/benefit-campaigns", {
    name: "Member-Exclusive Rebate",
    kind: "promotional",
    member_exclusive: true,
  });
  for (const b of benefitPayloads(campaign.id)) await post("/v1/benefits", b);

  return JSON.stringify({
    member_id: member.id,
    channel: "POS",
    lines: LINES,
    at: "2026-11-27T04:00:00Z",
    shipping_amount: 800,
  });
}
