import { type Static, type TSchema, Type } from "typebox";
import { MAX_TIMESTAMP_LENGTH, Obj, StringEnum } from "../../platform/http/schemas.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { AudienceRule as MemberAudienceRule } from "../members/index.js";

/**
 * The benefit kinds of seed 001 §2.1 and each kind's fields. The schemas are the API's
 * and the stored `config`'s shape at once (snake_case JSON), so what the pricing engine
 * reads is exactly what was validated on the way in.
 */
export const BENEFIT_KINDS = [
  "marketing",
  "promotional",
  "member_pricing",
  "member_discount",
  "member_day",
  "birthday",
  "multiplier_points",
  "card_extension",
  "exclusive_services",
  "custom",
] as const;
export type BenefitKind = (typeof BENEFIT_KINDS)[number];

export const BENEFIT_STATUSES = ["active", "inactive"] as const;
export type BenefitStatus = (typeof BENEFIT_STATUSES)[number];

export const CHANNELS = ["POS", "ONLINE"] as const;
export type Channel = (typeof CHANNELS)[number];

/** Limits on every list a benefit holds (DESIGN principle 6). */
export const LIMITS = {
  audienceEntries: 100,
  memberPrices: 500,
  excludedItems: 500,
  perks: 10,
  scheduleDates: 31,
  detailImages: 9,
  restrictions: 3,
} as const;

const Code = Type.String({ minLength: 1, maxLength: 64 });
const CodeList = (max: number) => Type.Array(Code, { maxItems: max, uniqueItems: true });
const HHMM = Type.String({
  maxLength: 5,
  pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
  examples: ["10:00"],
});
/** Prices, thresholds and reductions stay within the bound every amount has (ADR 0006). */
const MinorAmount = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT });
const PositiveMinor = Type.Integer({ minimum: 1, maximum: MAX_AMOUNT });
/** Whole percent off: 20 means the member pays 80%. */
const DiscountPercent = Type.Integer({ minimum: 1, maximum: 99, description: "20 means pay 80%" });
/** An exact decimal multiplier: "2" doubles points, "1.5" adds half. */
const Multiplier = Type.String({ maxLength: 5, pattern: "^([1-9]|10)(\\.[0-9]{1,2})?$", examples: ["2"] });

/**
 * Who a benefit (or a tier perk) reaches: the members module's audience rule (its evaluator
 * decides), the same properties without the schema id so it can nest in the kinds' schemas.
 * Every dimension given must match; `exclude` removes; empty = every member.
 */
export const AudienceRule = Obj(MemberAudienceRule.properties, {
  description:
    "The members module's audience rule (applicable card plans / tiers): e.g. min_tier silver = Silver tier and above",
});
export type AudienceRule = Static<typeof AudienceRule>;

export const Restriction = Type.Union([
  Obj({ kind: Type.Literal("balance_below_amount"), amount: PositiveMinor }),
  Obj({ kind: Type.Literal("balance_below_outstanding") }),
  Obj({ kind: Type.Literal("balance_below_discounted_outstanding") }),
]);
export type Restriction = Static<typeof Restriction>;

export const AvailableItems = Type.Union([
  Obj({ kind: Type.Literal("all") }),
  Obj({ kind: Type.Literal("exclude_products"), skus: CodeList(LIMITS.excludedItems) }),
  Obj({ kind: Type.Literal("exclude_categories"), categories: CodeList(LIMITS.excludedItems) }),
]);
export type AvailableItems = Static<typeof AvailableItems>;

export const TimeWindow = Obj({ start: HHMM, end: HHMM });
export type TimeWindow = Static<typeof TimeWindow>;

/** Member day: which days, and when on those days (in the tenant's time zone). */
export const Schedule = Obj({
  frequency: StringEnum(["weekly", "monthly"] as const),
  /** weekly: ISO weekdays 1 (Monday) … 7 (Sunday); monthly: 1 … 31 or "last". */
  days: Type.Array(Type.Union([Type.Integer({ minimum: 1, maximum: 31 }), Type.Literal("last")]), {
    minItems: 1,
    maxItems: LIMITS.scheduleDates,
    uniqueItems: true,
  }),
  time: Type.Union([
    Obj({ kind: Type.Literal("all_day") }),
    Obj({ kind: Type.Literal("unified"), window: TimeWindow }),
    Obj({
      kind: Type.Literal("per_date"),
      windows: Type.Array(
        Obj({
          day: Type.Union([Type.Integer({ minimum: 1, maximum: 31 }), Type.Literal("last")]),
          ...TimeWindow.properties,
        }),
        { minItems: 1, maxItems: LIMITS.scheduleDates },
      ),
    }),
  ]),
});
export type Schedule = Static<typeof Schedule>;

/** A tier-specific perk of a member day or birthday benefit. */
export const Perk = Obj({
  audience: AudienceRule,
  /** Replaces the benefit's own discount for these members. */
  discount_percent: Type.Optional(DiscountPercent),
  /** Taken off the already discounted price ("Platinum members get an extra 20% off"). */
  extra_discount_percent: Type.Optional(DiscountPercent),
  points_multiplier: Type.Optional(Multiplier),
  /** Added to the points multiplier as a percentage ("Platinum extra 20%" points). */
  extra_points_percent: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  free_shipping: Type.Optional(Type.Boolean()),
});
export type Perk = Static<typeof Perk>;

const Channels = Type.Array(StringEnum(CHANNELS), { minItems: 1, maxItems: 2, uniqueItems: true });
const Restrictions = Type.Array(Restriction, { maxItems: LIMITS.restrictions });
const priceRules = {
  channels: Type.Optional(Channels),
  restrictions: Type.Optional(Restrictions),
  items: Type.Optional(AvailableItems),
};

export const KIND_CONFIG = {
  marketing: Obj({ campaign_id: Code }),
  promotional: Obj({
    campaign_id: Code,
    /** A fixed reduction on the order ("$20 off $100"), before vouchers. */
    order_reduction: Type.Optional(Obj({ min_amount: MinorAmount, amount: PositiveMinor })),
    channels: Type.Optional(Channels),
    items: Type.Optional(AvailableItems),
  }),
  member_pricing: Obj({
    prices: Type.Array(Obj({ sku: Code, price: MinorAmount }), {
      minItems: 1,
      maxItems: LIMITS.memberPrices,
    }),
    ...priceRules,
  }),
  member_discount: Obj({ discount_percent: DiscountPercent, ...priceRules }),
  member_day: Obj({
    schedule: Schedule,
    discount_percent: Type.Optional(DiscountPercent),
    points_multiplier: Type.Optional(Multiplier),
    perks: Type.Optional(Type.Array(Perk, { maxItems: LIMITS.perks })),
    ...priceRules,
  }),
  birthday: Obj({
    period: StringEnum(["day", "week", "month"] as const, {
      description: "Birthday only / the calendar week (Monday-Sunday) containing it / its month",
    }),
    discount_percent: Type.Optional(DiscountPercent),
    points_multiplier: Type.Optional(Multiplier),
    perks: Type.Optional(Type.Array(Perk, { maxItems: LIMITS.perks })),
    ...priceRules,
  }),
  multiplier_points: Obj({
    multiplier: Multiplier,
    channels: Type.Optional(Channels),
    valid_from: Type.Optional(Type.String({ format: "date-time", maxLength: MAX_TIMESTAMP_LENGTH })),
    valid_until: Type.Optional(Type.String({ format: "date-time", maxLength: MAX_TIMESTAMP_LENGTH })),
    schedule: Type.Optional(Schedule),
  }),
  card_extension: Obj({
    extension_days: Type.Integer({ minimum: 1, maximum: 3650 }),
    /** Granted when the member's spending in a calendar year reaches this amount. */
    min_annual_spend: Type.Optional(PositiveMinor),
  }),
  exclusive_services: Obj({
    detail_images: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        maxItems: LIMITS.detailImages,
        description:
          "Images members see on the benefit, in order: each the id of an image uploaded with POST /v1/images?purpose=detail (members read it with GET /v1/images/{id} while the benefit is active) or an https URL; anything else is 400 invalid_image",
      }),
    ),
  }),
  custom: Obj({}),
} satisfies Record<BenefitKind, TSchema>;

export type KindConfig = { [K in BenefitKind]: Static<(typeof KIND_CONFIG)[K]> };

/** A benefit as the engine and the API see it. */
export interface Benefit<K extends BenefitKind = BenefitKind> {
  id: string;
  kind: K;
  name: string;
  brief: string | null;
  description: string | null;
  icon: string | null;
  audience: AudienceRule;
  config: KindConfig[K];
  stackable: boolean;
  status: BenefitStatus;
  version: number;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export type AnyBenefit = { [K in BenefitKind]: Benefit<K> }[BenefitKind];
