import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the gift cards module gives, with its HTTP status. */
export type GiftCardErrorCode =
  | "gift_card_plan_not_found"
  | "gift_card_not_found"
  | "gift_card_activity_not_found"
  | "invalid_denominations"
  | "invalid_custom_amount"
  | "plan_has_no_amount"
  | "invalid_gift_card_validity"
  | "invalid_card_design"
  | "gift_card_plan_locked"
  | "gift_card_plan_inactive"
  | "gift_card_channel_not_allowed"
  | "gift_card_amount_not_allowed"
  | "buyer_info_required"
  | "buyer_info_not_collected"
  | "gift_card_payment_not_allowed"
  | "gift_card_already_sold"
  | "gift_card_plan_mismatch"
  | "gift_card_not_active"
  | "gift_card_frozen"
  | "gift_card_expired"
  | "gift_card_store_not_allowed"
  | "gift_card_balance_insufficient"
  | "gift_card_fully_redeemed"
  | "gift_card_recharge_not_allowed"
  | "gift_card_refund_exceeds_redemption"
  | "gift_card_reference_reused"
  | "gift_card_not_a_redemption"
  | "gift_card_lookup_limited"
  | "invalid_card_number"
  | "idempotency_key_required"
  | "gift_card_payment_not_found"
  | "gift_card_payment_closed"
  | "gift_card_amount_mismatch"
  | "gift_card_currency_mismatch"
  | "gift_card_plan_changed"
  | "gift_card_already_claimed";

registerErrorStatuses({
  invalid_denominations: 400,
  invalid_custom_amount: 400,
  plan_has_no_amount: 400,
  invalid_gift_card_validity: 400,
  invalid_card_design: 400,
  gift_card_plan_locked: 409,
  gift_card_plan_inactive: 409,
  gift_card_channel_not_allowed: 422,
  gift_card_amount_not_allowed: 422,
  buyer_info_required: 422,
  buyer_info_not_collected: 422,
  gift_card_payment_not_allowed: 422,
  gift_card_already_sold: 409,
  gift_card_plan_mismatch: 422,
  gift_card_not_active: 409,
  gift_card_frozen: 409,
  gift_card_expired: 422,
  gift_card_store_not_allowed: 422,
  gift_card_balance_insufficient: 422,
  gift_card_fully_redeemed: 409,
  gift_card_recharge_not_allowed: 422,
  gift_card_refund_exceeds_redemption: 422,
  gift_card_reference_reused: 409,
  gift_card_not_a_redemption: 422,
  gift_card_lookup_limited: 429,
  invalid_card_number: 400,
  idempotency_key_required: 400,
  gift_card_payment_closed: 409,
  gift_card_amount_mismatch: 422,
  gift_card_currency_mismatch: 422,
  gift_card_plan_changed: 409,
  gift_card_already_claimed: 409,
});
