import { type Static, Type } from "typebox";
import { Amount, AssetCode, Nullable, Obj, StringEnum } from "../../platform/http/schemas.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { Availability, GiftSpec, StoreScope } from "../catalog/index.js";
import { AudienceRule } from "../members/index.js";

/** Limits of one plan (DESIGN principle 6). */
export const MAX_BONUS_BENEFITS = 20;
export const MAX_ELIGIBLE_SKUS = 100;
/** Percentages are basis points: 1000 = 10%. Points may be up to 1000% of the amount. */
export const Bps = (max = 100_000) =>
  Type.Integer({ minimum: 0, maximum: max, description: "Basis points: 1000 = 10%", examples: [1000] });
/** A bonus is at most the amount topped up (100%): beyond that a plan gives more than it takes. */
export const BonusBps = () => Bps(10_000);
/** As every module bounds amounts: no more than one ledger operation may move. */
export const Minor = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, examples: [1000] });
const Points = Type.Integer({ minimum: 0, maximum: 1_000_000_000, examples: [50] });
const Sku = Type.String({ minLength: 1, maxLength: 64 });
export const CHANNELS = ["pos", "online"] as const;
export type TopupChannel = (typeof CHANNELS)[number];

export const FixedRule = Obj(
  { type: Type.Literal("fixed"), amount: Amount, bonus_amount: Minor, bonus_points: Points },
  { description: "A fixed top-up: amount, bonus amount and bonus points (seed: 100 → 10 and 50)" },
);
export const RangeRule = Obj(
  {
    type: Type.Literal("range"),
    min_amount: Amount,
    max_amount: Amount,
    bonus_bps: BonusBps(),
    points_bps: Bps(),
  },
  { description: "Any amount in [min, max]; bonus = amount × bonus_bps, points = amount × points_bps" },
);
export const CustomRule = Obj(
  {
    type: Type.Literal("custom"),
    min_amount: Amount,
    max_amount: Amount,
    bonus_min: Minor,
    bonus_max: Minor,
    points_min: Points,
    points_max: Points,
  },
  {
    description:
      "Any amount in [min, max]; bonus and points move linearly from their low end at min_amount to their high end at max_amount (rounded down)",
  },
);

const BonusBenefits = Obj(
  {
    benefit_ids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      minItems: 1,
      maxItems: MAX_BONUS_BENEFITS,
      uniqueItems: true,
    }),
    valid_days: Type.Integer({ minimum: 1, maximum: 3660 }),
  },
  { description: "Member benefits the top-up gives for valid_days from the top-up (entitlements)" },
);

export const FirstTopupBonus = Obj(
  {
    extra_bonus_bps: Type.Optional(BonusBps()),
    extra_points_bps: Type.Optional(Bps()),
    gift: Type.Optional(GiftSpec),
  },
  { description: "Extra perks for a first-time depositor (a member with no top-up before)" },
);

export const Restrictions = Obj({
  first_topup_only: Type.Optional(Type.Boolean({ default: false })),
  stock_limit: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100_000_000 }))),
  visibility: Type.Optional(StringEnum(["shown", "hidden"] as const)),
  channels: Type.Optional(Type.Array(StringEnum(CHANNELS), { minItems: 1, maxItems: 2, uniqueItems: true })),
  eligible_skus: Type.Optional(
    Nullable(Type.Array(Sku, { minItems: 1, maxItems: MAX_ELIGIBLE_SKUS, uniqueItems: true })),
  ),
  purchase_limit_per_member: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 10_000 }))),
  same_day_usable_bps: Type.Optional(Nullable(Bps(10_000))),
  no_bonus_on_topup_day: Type.Optional(Type.Boolean()),
});
export type Restrictions = Static<typeof Restrictions>;

const Common = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  agreement_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  cover_image_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  availability: Type.Optional(Availability),
  store_scope: Type.Optional(StoreScope),
  audience: Type.Optional(AudienceRule),
  tier_upgrade: Type.Optional(
    Nullable(Obj({ tier: Type.String({ minLength: 1, maxLength: 64 }) }, { description: "Tier code" })),
  ),
  gift: Type.Optional(GiftSpec),
  first_topup_bonus: Type.Optional(Nullable(FirstTopupBonus)),
  bonus_benefits: Type.Optional(Nullable(BonusBenefits)),
  restrictions: Type.Optional(Restrictions),
};

export const PlanTerms = Obj({ ...Common, rule: Type.Union([FixedRule, RangeRule, CustomRule]) });
export type PlanTerms = Static<typeof PlanTerms>;

export const CreatePlanBody = Obj(
  {
    kind: StringEnum(["package", "custom"] as const, {
      description: "package (fixed or range rule) or custom (custom rule)",
    }),
    currency: Type.Optional(AssetCode),
    ...Common,
    rule: Type.Union([FixedRule, RangeRule, CustomRule]),
  },
  {
    examples: [
      {
        kind: "package",
        name: "Summer Prepaid Bonus Plan",
        rule: { type: "range", min_amount: 10000, max_amount: 50000, bonus_bps: 1000, points_bps: 500 },
        restrictions: { channels: ["pos", "online"], stock_limit: 500, purchase_limit_per_member: 1 },
      },
    ],
  },
);
export type CreatePlanBody = Static<typeof CreatePlanBody>;

export const UpdatePlanBody = Obj(
  {
    name: Type.Optional(Common.name),
    description: Common.description,
    agreement_id: Common.agreement_id,
    cover_image_id: Common.cover_image_id,
    availability: Common.availability,
    store_scope: Common.store_scope,
    audience: Common.audience,
    tier_upgrade: Common.tier_upgrade,
    gift: Common.gift,
    first_topup_bonus: Common.first_topup_bonus,
    bonus_benefits: Common.bonus_benefits,
    restrictions: Common.restrictions,
    rule: Type.Optional(Type.Union([FixedRule, RangeRule, CustomRule])),
  },
  { minProperties: 1 },
);
export type UpdatePlanBody = Static<typeof UpdatePlanBody>;

/** The restrictions with their defaults filled in. */
export function restrictionsOf(terms: Pick<PlanTerms, "restrictions">) {
  const r = terms.restrictions ?? {};
  return {
    first_topup_only: r.first_topup_only ?? false,
    stock_limit: r.stock_limit ?? null,
    visibility: r.visibility ?? "shown",
    channels: r.channels ?? [...CHANNELS],
    eligible_skus: r.eligible_skus ?? null,
    purchase_limit_per_member: r.purchase_limit_per_member ?? null,
    same_day_usable_bps: r.same_day_usable_bps ?? null,
    no_bonus_on_topup_day: r.no_bonus_on_topup_day ?? false,
  };
}
