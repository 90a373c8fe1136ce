import { Type } from "typebox";
import { AssetCode, IdParam, Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { StoreScope } from "../catalog/index.js";
import {
  CARD_TYPES,
  FIELD_RULES,
  PLAN_STATUSES,
  type PlanRow,
  SALE_CHANNELS,
} from "./giftcards.repository.js";
import { DESIGN_TEMPLATES, MAX_CARD_AMOUNT, MAX_DENOMINATIONS } from "./plan-rules.js";

/** Request and response schemas of gift card plans (snake_case JSON, amounts in minor units). */

const Minor = (description: string, minimum = 1) =>
  Type.Integer({ minimum, maximum: MAX_CARD_AMOUNT, description });

export const DenominationInput = Obj({
  amount: Minor("Face amount, minor units"),
  discount: Type.Optional(Minor('What the buyer is given off ("20 off a 200 card"): below the amount', 0)),
});

export const CustomAmountInput = Obj(
  {
    min: Minor("Smallest amount a buyer may choose"),
    max: Minor("Largest amount a buyer may choose"),
    discount_bps: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 9999,
        description: "Discount on a custom amount in basis points, rounded down",
      }),
    ),
  },
  { examples: [{ min: 5000, max: 500000, discount_bps: 0 }] },
);

const Rule = StringEnum(FIELD_RULES);
export const BuyerInfoInput = Obj({
  name: Type.Optional(Rule),
  phone: Type.Optional(Rule),
  email: Type.Optional(Rule),
  card_number: Type.Optional(
    StringEnum(FIELD_RULES, {
      description: "POS only: the cashier names the imported physical card being sold",
    }),
  ),
});

export const ValidityInput = Type.Union(
  [
    Obj({
      kind: Type.Literal("after_purchase"),
      years: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
      months: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
      days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3660 })),
    }),
    Obj({
      kind: Type.Literal("fixed"),
      until: Type.String({
        maxLength: 10,
        format: "date",
        description: "Last valid day (inclusive), tenant's time zone",
      }),
    }),
    Obj({ kind: Type.Literal("none") }),
  ],
  { examples: [{ kind: "after_purchase", years: 1 }] },
);

export const DesignInput = Type.Union(
  [
    Obj({
      kind: Type.Literal("image"),
      image_id: IdParam,
    }),
    Obj({ kind: Type.Literal("template"), template: StringEnum(DESIGN_TEMPLATES) }),
  ],
  {
    description: "An uploaded image (POST /v1/images?purpose=card_design) or a built-in template",
    examples: [{ kind: "template", template: "festival" }],
  },
);

const planFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  card_type: StringEnum(CARD_TYPES),
  currency: AssetCode,
  store_scope: StoreScope,
  design: DesignInput,
  denominations: Type.Array(DenominationInput, { maxItems: MAX_DENOMINATIONS }),
  custom_amount: Type.Union([CustomAmountInput, Type.Null()]),
  buyer_info: BuyerInfoInput,
  validity: ValidityInput,
  channels: Type.Array(StringEnum(SALE_CHANNELS), { minItems: 1, maxItems: 2, uniqueItems: true }),
  pos_recharge: Type.Boolean({ description: "Whether a POS may load (recharge) sold cards" }),
  terms_agreement_id: Type.Union([IdParam, Type.Null()], {
    description: "An active agreement of type gift_card_terms",
  }),
};

const PLAN_EXAMPLE = {
  name: "2025 Mid-Autumn Reunion E-Cash Card",
  card_type: "electronic",
  currency: "CNY",
  design: { kind: "template", template: "festival" },
  denominations: [
    { amount: 10000, discount: 0 },
    { amount: 20000, discount: 2000 },
    { amount: 50000, discount: 5000 },
  ],
  custom_amount: { min: 5000, max: 500000, discount_bps: 0 },
  validity: { kind: "after_purchase", years: 1 },
  channels: ["POS", "ONLINE"],
  pos_recharge: true,
};

export const CreatePlanBody = Obj(
  {
    name: planFields.name,
    card_type: planFields.card_type,
    currency: Type.Optional(planFields.currency),
    store_scope: Type.Optional(planFields.store_scope),
    design: planFields.design,
    denominations: Type.Optional(planFields.denominations),
    custom_amount: Type.Optional(planFields.custom_amount),
    buyer_info: Type.Optional(planFields.buyer_info),
    validity: planFields.validity,
    channels: planFields.channels,
    pos_recharge: Type.Optional(planFields.pos_recharge),
    terms_agreement_id: Type.Optional(planFields.terms_agreement_id),
  },
  { examples: [PLAN_EXAMPLE] },
);

export const UpdatePlanBody = Obj(
  Object.fromEntries(Object.entries(planFields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof typeof planFields]: ReturnType<typeof Type.Optional<(typeof planFields)[K]>>;
  },
  { minProperties: 1 },
);

export const CopyPlanBody = Obj({
  name: planFields.name,
  validity: Type.Optional(planFields.validity),
  design: Type.Optional(planFields.design),
});

export const Plan = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("gift_card_plan"),
    name: Type.String(),
    card_type: StringEnum(CARD_TYPES),
    currency: Type.String(),
    store_scope: Type.Unknown({ description: "Redemption stores (empty: every store)" }),
    design: Type.Unknown(),
    denominations: Type.Array(Type.Object({ amount: Type.Integer(), discount: Type.Integer() })),
    custom_amount: Type.Union([
      Type.Object({ min: Type.Integer(), max: Type.Integer(), discount_bps: Type.Integer() }),
      Type.Null(),
    ]),
    buyer_info: Type.Object({ name: Rule, phone: Rule, email: Rule, card_number: Rule }),
    validity: Type.Unknown(),
    channels: Type.Array(StringEnum(SALE_CHANNELS)),
    pos_recharge: Type.Boolean(),
    terms_agreement_id: Type.Union([Type.String(), Type.Null()]),
    status: StringEnum(PLAN_STATUSES),
    copied_from: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "GiftCardPlan" },
);

export function serializePlan(row: PlanRow) {
  return {
    id: row.id,
    object: "gift_card_plan" as const,
    name: row.name,
    card_type: row.card_type,
    currency: row.currency,
    store_scope: row.store_scope,
    design: row.design,
    denominations: row.denominations,
    custom_amount: row.custom_amount,
    buyer_info: row.buyer_info,
    validity: row.validity,
    channels: row.channels,
    pos_recharge: row.pos_recharge,
    terms_agreement_id: row.terms_agreement_id,
    status: row.status,
    copied_from: row.copied_from,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
