import { type Static, Type } from "typebox";
import { Obj, StringEnum } from "../../platform/http/schemas.js";
import { AudienceRule, CHANNELS } from "../benefits/index.js";
import { Availability, GiftSpec, StoreScope } from "../catalog/index.js";

/** Limits of one plan (DESIGN principle 6; the seed's "up to 5 sales rules"). */
export const MAX_SALES_RULES = 5;
export const MAX_PERKS = 20;
export const MAX_TAGS = 10;
export const MAX_DURATION_DAYS = 3650;
export const MAX_BONUS_POINTS = 1_000_000;
/** Active packages per tenant: the member-facing offer list is computed over all of them. */
export const MAX_ACTIVE_PACKAGES = 200;

export const PERK_TYPES = [
  "first_purchase_gift",
  "repeat_purchase_gift",
  "early_renewal_gift",
  "member_pricing",
  "member_discount",
  "multiplier_points",
  "promotions",
  "tier_upgrade",
  "card_extension",
] as const;
export type PerkType = (typeof PERK_TYPES)[number];

/** The benefit kind each benefit-referencing perk must name. */
export const PERK_BENEFIT_KIND = {
  member_pricing: "member_pricing",
  member_discount: "member_discount",
  multiplier_points: "multiplier_points",
  promotions: "promotional",
  card_extension: "card_extension",
} as const;
export type BenefitPerkType = keyof typeof PERK_BENEFIT_KIND;
/** Benefits a period holds as entitlements (card extension is applied once instead). */
export const ENTITLEMENT_PERKS: readonly BenefitPerkType[] = [
  "member_pricing",
  "member_discount",
  "multiplier_points",
  "promotions",
];

const Key = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: "^[A-Za-z0-9_-]+$",
  examples: ["quarterly"],
});
const Price = Type.Integer({
  minimum: 0,
  maximum: 100_000_000_000,
  description: "Minor units of the package's currency",
});
const LocalDate = Type.String({ maxLength: 10, format: "date" });

export const SalesRule = Obj({
  key: Key,
  duration_days: Type.Integer({ minimum: 1, maximum: MAX_DURATION_DAYS, examples: [90] }),
  original_price: Price,
  first_purchase_price: Type.Optional(Price),
  repeat_purchase_price: Type.Optional(Price),
  early_renewal_price: Type.Optional(Price),
  limited_time: Type.Optional(
    Obj(
      { price: Price, from_date: LocalDate, until_date: LocalDate },
      { description: "A promotional price on these local dates (inclusive), e.g. 139 during Oct 1-7" },
    ),
  ),
});
export type SalesRule = Static<typeof SalesRule>;

const ApplicableRules = Type.Union(
  [Type.Literal("all"), Type.Array(Key, { minItems: 1, maxItems: MAX_SALES_RULES, uniqueItems: true })],
  { description: '"all", or the keys of the sales rules the perk comes with ("Selected Rules")' },
);
const common = {
  key: Key,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  applicable_rules: ApplicableRules,
};
const gift = {
  bonus_points: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_BONUS_POINTS })),
  gift: Type.Optional(GiftSpec),
  gift_stock: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()], {
      description: "How many gifts this perk may give in all (null: unlimited)",
    }),
  ),
};
const BenefitId = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" });

export const Perk = Type.Union([
  Obj({ type: Type.Literal("first_purchase_gift"), ...common, ...gift }),
  Obj({ type: Type.Literal("repeat_purchase_gift"), ...common, ...gift }),
  Obj({
    type: Type.Literal("early_renewal_gift"),
    ...common,
    ...gift,
    distribution: Type.Optional(
      StringEnum(["immediate", "on_effect"] as const, {
        description: "Immediately after the early renewal (default), or when the renewed period takes effect",
      }),
    ),
  }),
  Obj({ type: Type.Literal("member_pricing"), ...common, benefit_id: BenefitId }),
  Obj({ type: Type.Literal("member_discount"), ...common, benefit_id: BenefitId }),
  Obj({ type: Type.Literal("multiplier_points"), ...common, benefit_id: BenefitId }),
  Obj({ type: Type.Literal("promotions"), ...common, benefit_id: BenefitId }),
  Obj({ type: Type.Literal("card_extension"), ...common, benefit_id: BenefitId }),
  Obj({
    type: Type.Literal("tier_upgrade"),
    ...common,
    tier: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.-]+$" }),
  }),
]);
export type Perk = Static<typeof Perk>;
export type GiftPerk = Extract<
  Perk,
  { type: "first_purchase_gift" | "repeat_purchase_gift" | "early_renewal_gift" }
>;

/** A plan's configurable fields, as the API takes them (create; a PATCH takes any of them). */
export const PackageFields = {
  name: Type.String({ minLength: 1, maxLength: 100, examples: ["Premium Member Benefit Package"] }),
  tags: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: MAX_TAGS, uniqueItems: true }),
  ),
  description: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 5000 }), Type.Null()])),
  cover_image_id: Type.Optional(
    Type.Union([Type.String({ maxLength: 30, pattern: "^img_[0-9a-z]{26}$" }), Type.Null()]),
  ),
  audience: Type.Optional(AudienceRule),
  availability: Type.Optional(Availability),
  store_scope: Type.Optional(StoreScope),
  channels: Type.Array(StringEnum(CHANNELS), { minItems: 1, maxItems: 2, uniqueItems: true }),
  currency: Type.Optional(
    Type.String({
      maxLength: 16,
      pattern: "^[A-Z][A-Z0-9_]{1,15}$",
      description: "Default: the tenant's balance asset",
    }),
  ),
  refund_restriction: Type.Optional(
    Type.Boolean({
      description: "Used gifted vouchers make an order refund impossible (offline refunds unrestricted)",
    }),
  ),
  purchase_agreement_id: Type.Optional(
    Type.Union([Type.String({ maxLength: 30, pattern: "^agr_[0-9a-z]{26}$" }), Type.Null()]),
  ),
  terms_agreement_id: Type.Optional(
    Type.Union([Type.String({ maxLength: 30, pattern: "^agr_[0-9a-z]{26}$" }), Type.Null()]),
  ),
  faq_agreement_id: Type.Optional(
    Type.Union([Type.String({ maxLength: 30, pattern: "^agr_[0-9a-z]{26}$" }), Type.Null()]),
  ),
  sales_rules: Type.Array(SalesRule, { minItems: 1, maxItems: MAX_SALES_RULES }),
  perks: Type.Optional(Type.Array(Perk, { maxItems: MAX_PERKS })),
};

/** Whether a perk comes with a sales rule ("Applicable Rules: All / Selected"). */
export function perkApplies(perk: Perk, ruleKey: string): boolean {
  return perk.applicable_rules === "all" || perk.applicable_rules.includes(ruleKey);
}

/** Where a gift perk draws its stock from: one counter per package and perk key. */
export function giftStockKey(packageId: string, perkKey: string): string {
  return `package:${packageId}:${perkKey}`;
}

/** What a gift perk's grant for one order is called (one grant per order and perk). */
export function giftSourceRef(orderId: string, perkKey: string): string {
  return `package_order:${orderId}:${perkKey}`;
}
