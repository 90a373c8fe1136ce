import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal of top-up plans, smart top-up, recharge codes and online top-up payments. */
export type TopupErrorCode =
  | "topup_plan_not_found"
  | "smart_topup_plan_not_found"
  | "topup_not_found"
  | "recharge_code_not_found"
  | "invalid_topup_plan"
  | "plan_status_transition"
  | "plan_archived"
  | "plan_not_active"
  | "plan_not_available_now"
  | "plan_out_of_stock"
  | "purchase_limit_reached"
  | "first_topup_only"
  | "channel_not_allowed"
  | "store_not_in_scope"
  | "audience_mismatch"
  | "amount_out_of_range"
  | "currency_mismatch"
  | "recharge_code_mismatch"
  | "topup_payment_closed"
  | "no_smart_offer"
  | "tier_not_offered"
  | "catalog_scoped_actor"
  | "topup_payment_not_settled";

registerErrorStatuses({
  topup_plan_not_found: 404,
  smart_topup_plan_not_found: 404,
  topup_not_found: 404,
  recharge_code_not_found: 404,
  invalid_topup_plan: 422,
  plan_status_transition: 409,
  plan_archived: 409,
  plan_not_active: 422,
  plan_not_available_now: 422,
  plan_out_of_stock: 409,
  purchase_limit_reached: 409,
  first_topup_only: 422,
  channel_not_allowed: 422,
  store_not_in_scope: 422,
  audience_mismatch: 422,
  amount_out_of_range: 422,
  currency_mismatch: 422,
  recharge_code_mismatch: 422,
  topup_payment_closed: 409,
  no_smart_offer: 422,
  tier_not_offered: 422,
  catalog_scoped_actor: 403,
  topup_payment_not_settled: 409,
});
