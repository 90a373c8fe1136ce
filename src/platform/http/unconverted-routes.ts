/**
 * Idempotent routes whose handlers still call `runIdempotent` (or nothing) themselves instead
 * of being a `valueRoute`. The list only shrinks: converting a route removes it here, and
 * value-route.test.ts fails while a listed route is already converted or no longer exists.
 * New routes never join it.
 */
export const UNCONVERTED_IDEMPOTENT_ROUTES: ReadonlySet<string> = new Set([
  "POST /v1/api-keys",
  "POST /v1/api-keys/:id/revoke",
  "POST /v1/benefit-icons",
  "POST /v1/benefits",
  "POST /v1/enterprises/:id/coupons",
  "POST /v1/ledger/accounts",
  "POST /v1/ledger/accounts/:id/close",
  "POST /v1/ledger/accounts/:id/freeze",
  "POST /v1/ledger/accounts/:id/unfreeze",
  "POST /v1/ledger/assets",
  "POST /v1/ledger/transfers",
  "POST /v1/ledger/transfers/:id/post",
  "POST /v1/ledger/transfers/:id/void",
  "POST /v1/ledger/transfers/batch",
  "POST /v1/member-vouchers/:id/withdraw",
  "POST /v1/members/:id/change-tier",
  "POST /v1/members/:member_id/vouchers",
  "POST /v1/members/import",
  "POST /v1/org-units",
  "POST /v1/org-units/:id/move",
  "POST /v1/store-groups",
  "POST /v1/users",
  "POST /v1/voucher-quotas/adjustments",
  "POST /v1/voucher-templates",
  "POST /v1/voucher-templates/:id/archive",
  "POST /v1/voucher-templates/:id/copy",
  "POST /v1/voucher-templates/:id/issue",
  "POST /v1/vouchers/:id/withdraw",
]);
