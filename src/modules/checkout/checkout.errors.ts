import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the checkout module gives, with its HTTP status. */
export type CheckoutErrorCode =
  | "member_not_found"
  | "store_not_found"
  | "voucher_not_usable"
  | "gift_card_not_usable"
  | "quote_changed"
  | "client_order_id_reused"
  | "order_not_found"
  | "order_already_refunded"
  | "insufficient_balance"
  | "settlement_unavailable"
  | "settlement_failed";

registerErrorStatuses({
  member_not_found: 404,
  voucher_not_usable: 422,
  gift_card_not_usable: 422,
  quote_changed: 409,
  client_order_id_reused: 409,
  order_not_found: 404,
  order_already_refunded: 409,
  insufficient_balance: 422,
  settlement_unavailable: 503,
  settlement_failed: 422,
});
