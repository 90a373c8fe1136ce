import { type Static, Type } from "typebox";
import { Amount, Nullable, Obj, StringEnum } from "../../platform/http/schemas.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { Availability, GiftSpec, StoreScope } from "../catalog/index.js";
import { AudienceRule } from "../members/index.js";
import { BonusBps, Bps, CHANNELS } from "./plan-terms.js";

/** A smart top-up plan has 1 to 9 tiers (§2.4: "up to 9"). */
export const MAX_TIERS = 9;
const Minor = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT });
const Points = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
/** Top-up = order × multiplier: 12000 = 1.2×; at least 1× so the top-up covers the order. */
const Multiplier = Type.Integer({
  minimum: 10_000,
  maximum: 1_000_000,
  description: "The top-up as a multiple of the order, in basis points: 12000 = 1.2×",
  examples: [12000],
});

export const DiscountTier = Obj(
  {
    type: Type.Literal("discount"),
    multiplier_bps: Multiplier,
    bonus_bps: BonusBps(),
    gift: Type.Optional(GiftSpec),
    first_topup_gift: Type.Optional(GiftSpec),
  },
  { description: "Top-up = order × multiplier (rounded up to the precision); bonus = order × bonus_bps" },
);
export const GiftTier = Obj(
  {
    type: Type.Literal("gift"),
    multiplier_bps: Multiplier,
    bonus_bps: BonusBps(),
    points_bps: Bps(),
    gift: Type.Optional(GiftSpec),
    first_topup_extra_bonus_bps: Type.Optional(BonusBps()),
    first_topup_extra_points_bps: Type.Optional(Bps()),
    first_topup_gift: Type.Optional(GiftSpec),
  },
  {
    description:
      "Top-up = order × multiplier; bonus = order × bonus_bps; points = top-up × points_bps (whole points, down)",
  },
);
export const FixedTier = Obj(
  {
    type: Type.Literal("fixed"),
    amount: Amount,
    bonus_amount: Minor,
    bonus_points: Points,
    gift: Type.Optional(GiftSpec),
    first_topup_gift: Type.Optional(GiftSpec),
  },
  { description: "A fixed top-up, bonus and points, offered when it (with the balance) covers the order" },
);
export const SmartTier = Type.Union([DiscountTier, GiftTier, FixedTier]);
export type SmartTier = Static<typeof SmartTier>;

export const ROUNDINGS = ["0.1", "1", "10", "100"] as const;
export type Rounding = (typeof ROUNDINGS)[number];

const Common = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  agreement_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  cover_image_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  availability: Type.Optional(Availability),
  store_scope: Type.Optional(StoreScope),
  audience: Type.Optional(AudienceRule),
  min_topup_amount: Type.Optional(Minor),
  rounding: Type.Optional(
    StringEnum(ROUNDINGS, {
      description: "Top-ups are rounded UP to a multiple of this many major units (0.1, 1, 10, 100)",
    }),
  ),
  tiers: Type.Array(SmartTier, { minItems: 1, maxItems: MAX_TIERS }),
  first_topup_only: Type.Optional(Type.Boolean()),
  gift_stock_limit: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100_000_000 }))),
  channels: Type.Optional(Type.Array(StringEnum(CHANNELS), { minItems: 1, maxItems: 2, uniqueItems: true })),
};

export const SmartTerms = Obj(Common);
export type SmartTerms = Static<typeof SmartTerms>;

export const CreateSmartPlanBody = Obj(
  { currency: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })), ...Common },
  {
    examples: [
      {
        name: "Holiday Smart Prepaid Plan",
        rounding: "1",
        tiers: [
          { type: "discount", multiplier_bps: 12000, bonus_bps: 800 },
          { type: "gift", multiplier_bps: 13000, bonus_bps: 500, points_bps: 1000 },
          { type: "fixed", amount: 30000, bonus_amount: 3000, bonus_points: 300 },
        ],
      },
    ],
  },
);
export type CreateSmartPlanBody = Static<typeof CreateSmartPlanBody>;

export const UpdateSmartPlanBody = Type.Partial(SmartTerms, {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateSmartPlanBody = Static<typeof UpdateSmartPlanBody>;
