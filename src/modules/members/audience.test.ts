import { describe, expect, it } from "vitest";
import { type AudienceRule, audienceMatches, type MemberFacts, type TierCatalog } from "./audience.js";

const tiers: TierCatalog = new Map([
  ["silver", { plan: "standard", rank: 1 }],
  ["gold", { plan: "standard", rank: 2 }],
  ["platinum", { plan: "standard", rank: 3 }],
  ["s_silver", { plan: "student", rank: 1 }],
  ["s_gold", { plan: "student", rank: 2 }],
]);

const member = (over: Partial<MemberFacts> = {}): MemberFacts => ({
  id: "mbr_1",
  status: "active",
  cardPlan: "standard",
  tier: "gold",
  groups: ["vip"],
  tags: ["coffee"],
  student: false,
  birthday: null,
  ...over,
});

const cases: [string, AudienceRule, MemberFacts | null, boolean][] = [
  ["empty rule reaches everyone", {}, member(), true],
  ["no member, no match", {}, null, false],
  ["card plan listed", { card_plans: ["standard"] }, member(), true],
  ["card plan not listed", { card_plans: ["student"] }, member(), false],
  [
    "member without a card vs plan rule",
    { card_plans: ["standard"] },
    member({ cardPlan: null, tier: null }),
    false,
  ],
  ["exact tier", { tiers: ["gold"] }, member(), true],
  ["exact tier, other", { tiers: ["silver", "platinum"] }, member(), false],
  ["silver and above: gold", { min_tier: "silver" }, member(), true],
  ["silver and above: silver", { min_tier: "silver" }, member({ tier: "silver" }), true],
  ["gold and above: silver", { min_tier: "gold" }, member({ tier: "silver" }), false],
  ["platinum and above: gold", { min_tier: "platinum" }, member(), false],
  [
    "and above stays in its plan",
    { min_tier: "silver" },
    member({ cardPlan: "student", tier: "s_gold" }),
    false,
  ],
  ["no tier vs and above", { min_tier: "silver" }, member({ tier: null }), false],
  ["group any-of", { groups: ["x", "vip"] }, member(), true],
  ["group missing", { groups: ["x"] }, member(), false],
  ["tag", { tags: ["coffee"] }, member(), true],
  ["student only", { student: true }, member(), false],
  ["student only, student", { student: true }, member({ student: true }), true],
  ["AND across dimensions", { min_tier: "silver", tags: ["tea"] }, member(), false],
  ["exclude tag", { min_tier: "silver", exclude: { tags: ["coffee"] } }, member(), false],
  ["exclude tier", { exclude: { tiers: ["gold"] } }, member(), false],
  ["exclude other tier", { exclude: { tiers: ["silver"] } }, member(), true],
  ["exclude plan", { exclude: { card_plans: ["standard"] } }, member(), false],
  ["exclude group", { exclude: { groups: ["vip"] } }, member(), false],
  ["exclude students", { exclude: { student: true } }, member({ student: true }), false],
  ["exclude students, not one", { exclude: { student: true } }, member(), true],
  ["unknown min tier reaches nobody", { min_tier: "diamond" }, member(), false],
];

describe("audience rule", () => {
  it.each(cases)("%s", (_name, rule, facts, expected) => {
    expect(audienceMatches(rule, facts, tiers)).toBe(expected);
  });
});
