import { defineErrors } from "../../shared/errors.js";

/** Every refusal the gift cards module gives, with its HTTP status. */
export const GIFTCARDS_ERRORS = defineErrors({
  // Shared with the modules a sale goes through (same statuses as theirs).
  store_not_found: 404,
  payment_provider_unknown: 404,
  asset_not_found: 404,
  gift_card_plan_not_found: 404,
  gift_card_not_found: 404,
  gift_card_managed_elsewhere: 403,
  gift_card_activity_not_found: 404,
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
  redemption_refunded_by_order: 409,
  gift_card_reference_reused: 409,
  gift_card_not_a_redemption: 422,
  gift_card_lookup_limited: 429,
  invalid_card_number: 400,
  idempotency_key_required: 400,
  gift_card_payment_not_found: 404,
  gift_card_payment_closed: 409,
  not_refund_due: 409,
  gift_card_amount_mismatch: 422,
  gift_card_currency_mismatch: 422,
  gift_card_plan_changed: 409,
  gift_card_already_claimed: 409,
});

export type GiftCardErrorCode = (typeof GIFTCARDS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const GiftcardsError = GIFTCARDS_ERRORS.Error;
