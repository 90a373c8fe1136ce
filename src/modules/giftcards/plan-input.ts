import type { Tx } from "../../db/database.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { assertAgreementOfType, assertImage, type StoreScope, validateStoreScope } from "../catalog/index.js";
import { GiftcardsError } from "./giftcards.errors.js";
import type {
  BuyerInfo,
  CardType,
  CustomAmount,
  Denomination,
  Design,
  FieldRule,
  PlanRow,
  SaleChannel,
  Validity,
} from "./giftcards.repository.js";
import { validateAmounts, validateValidity } from "./plan-rules.js";

/** A plan's configuration as the API gives it (every field optional on an edit). */
export interface PlanInput {
  name?: string;
  card_type?: CardType;
  currency?: string;
  store_scope?: StoreScope;
  design?: Design;
  denominations?: { amount: number; discount?: number }[];
  custom_amount?: { min: number; max: number; discount_bps?: number } | null;
  buyer_info?: Partial<BuyerInfo>;
  validity?: Validity;
  channels?: SaleChannel[];
  pos_recharge?: boolean;
  terms_agreement_id?: string | null;
}

/** A plan's configuration as stored: every field present. */
export interface PlanConfig {
  name: string;
  card_type: CardType;
  currency: string;
  store_scope: StoreScope;
  design: Design;
  denominations: Denomination[];
  custom_amount: CustomAmount | null;
  buyer_info: BuyerInfo;
  validity: Validity;
  channels: SaleChannel[];
  pos_recharge: boolean;
  terms_agreement_id: string | null;
}

/** Unless said otherwise, name and phone are asked (optional); email and card number are not. */
const DEFAULT_BUYER_INFO: BuyerInfo = {
  name: "optional",
  phone: "optional",
  email: "off",
  card_number: "off",
};

/** Applies `input` over `base` (a new plan: the defaults) and checks the amounts and validity. */
export function mergePlan(base: PlanConfig | null, input: PlanInput, defaultCurrency: string): PlanConfig {
  const rule = (k: keyof BuyerInfo): FieldRule =>
    input.buyer_info?.[k] ?? base?.buyer_info[k] ?? DEFAULT_BUYER_INFO[k];
  const denominations =
    input.denominations?.map((d) => ({ amount: d.amount, discount: d.discount ?? 0 })) ??
    base?.denominations ??
    [];
  const custom =
    input.custom_amount === undefined
      ? (base?.custom_amount ?? null)
      : input.custom_amount === null
        ? null
        : { ...input.custom_amount, discount_bps: input.custom_amount.discount_bps ?? 0 };
  const merged: PlanConfig = {
    name: input.name ?? base?.name ?? "",
    card_type: input.card_type ?? base?.card_type ?? "electronic",
    currency: input.currency ?? base?.currency ?? defaultCurrency,
    store_scope: input.store_scope ?? base?.store_scope ?? {},
    design: input.design ?? base?.design ?? { kind: "template", template: "classic" },
    denominations,
    custom_amount: custom,
    buyer_info: {
      name: rule("name"),
      phone: rule("phone"),
      email: rule("email"),
      card_number: rule("card_number"),
    },
    validity: input.validity ?? base?.validity ?? { kind: "none" },
    channels: input.channels ?? base?.channels ?? ["POS", "ONLINE"],
    pos_recharge: input.pos_recharge ?? base?.pos_recharge ?? false,
    terms_agreement_id:
      input.terms_agreement_id === undefined ? (base?.terms_agreement_id ?? null) : input.terms_agreement_id,
  };
  validateAmounts(merged.denominations, merged.custom_amount);
  validateValidity(merged.validity);
  if (merged.card_type === "electronic" && merged.buyer_info.card_number !== "off") {
    throw new GiftcardsError("validation_failed", "Only physical cards are sold by card number", {
      errors: [{ field: "/body/buyer_info/card_number", message: "is off for electronic cards" }],
    });
  }
  return merged;
}

/** Checks what a plan names in the tenant: its currency, stores, design image and terms. */
export async function checkPlanReferences(trx: Tx, tenantId: string, plan: PlanConfig): Promise<void> {
  const asset = await trx
    .selectFrom("ledger_assets")
    .select("code")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", plan.currency)
    .executeTakeFirst();
  if (!asset) {
    throw new GiftcardsError("asset_not_found", `Currency ${plan.currency} is not set up in the ledger`, {
      errors: [
        { field: "/body/currency", message: "must be an asset of the ledger (POST /v1/ledger/assets)" },
      ],
    });
  }
  await validateStoreScope(trx, tenantId, plan.store_scope);
  if (plan.design.kind === "image") {
    await assertImage(trx, tenantId, plan.design.image_id, "card_design", "/body/design/image_id");
  }
  if (plan.terms_agreement_id) {
    await assertAgreementOfType(
      trx,
      tenantId,
      plan.terms_agreement_id,
      "gift_card_terms",
      "/body/terms_agreement_id",
    );
  }
}

/** Inserts a plan, inactive: nothing is on sale until it is activated. */
export async function insertPlan(
  trx: Tx,
  context: RequestContext,
  plan: PlanConfig,
  copiedFrom: string | null,
  now: Date,
): Promise<PlanRow> {
  return (await trx
    .insertInto("gift_card_plans")
    .values({
      tenant_id: context.actor.tenantId,
      id: newId("gcp"),
      ...planColumns(plan),
      status: "inactive",
      copied_from: copiedFrom,
      created_by: context.actor.id,
      updated_by: context.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as PlanRow;
}

/** The row fields of a configuration (jsonb columns as JSON text). */
export function planColumns(plan: PlanConfig) {
  return {
    name: plan.name,
    card_type: plan.card_type,
    currency: plan.currency,
    store_scope: JSON.stringify(plan.store_scope),
    design: JSON.stringify(plan.design),
    denominations: JSON.stringify(plan.denominations),
    custom_amount: plan.custom_amount ? JSON.stringify(plan.custom_amount) : null,
    buyer_info: JSON.stringify(plan.buyer_info),
    validity: JSON.stringify(plan.validity),
    channels: JSON.stringify(plan.channels),
    pos_recharge: plan.pos_recharge,
    terms_agreement_id: plan.terms_agreement_id,
  };
}
