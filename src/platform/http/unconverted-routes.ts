/**
 * Idempotent routes whose handlers still call `runIdempotent` (or nothing) themselves instead
 * of being a `valueRoute`. The list only shrinks: converting a route removes it here, and
 * value-route.test.ts fails while a listed route is already converted or no longer exists.
 * New routes never join it.
 */
export const UNCONVERTED_IDEMPOTENT_ROUTES: ReadonlySet<string> = new Set([
  "POST /v1/gift-card-activities/:id/refund",
  "POST /v1/gift-cards",
  "POST /v1/gift-cards/:id/adjust",
  "POST /v1/gift-cards/:id/freeze",
  "POST /v1/gift-cards/:id/load",
  "POST /v1/gift-cards/:id/redeem",
  "POST /v1/gift-cards/:id/refund",
  "POST /v1/gift-cards/:id/restore",
  "POST /v1/members/:member_id/gift-card-purchases",
]);
