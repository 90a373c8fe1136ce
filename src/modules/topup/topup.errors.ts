import { defineErrors } from "../../shared/errors.js";

/** Every refusal of top-up plans, smart top-up, recharge codes and online top-up payments. */
export const TOPUP_ERRORS = defineErrors({
  amount_mismatch: 422,
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
  store_not_found: 404,
  audience_mismatch: 422,
  amount_out_of_range: 422,
  amount_above_cap: 422,
  currency_mismatch: 422,
  recharge_code_mismatch: 422,
  topup_payment_closed: 409,
  no_smart_offer: 422,
  tier_not_offered: 422,
  catalog_scoped_actor: 403,
  topup_payment_not_settled: 409,
  not_refund_due: 409,
  // Shared with the cashier module (an offer asked for one of its orders).
  cashier_order_not_found: 404,
});

export type TopupErrorCode = (typeof TOPUP_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const TopupError = TOPUP_ERRORS.Error;
