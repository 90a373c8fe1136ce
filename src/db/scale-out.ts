/**
 * How every table would be placed on a Citus (distributed PostgreSQL) cluster sharded by
 * tenant: the plan for when one PostgreSQL no longer holds the tenant base. A test reads the
 * live catalog after migration and fails when a table is missing here or its keys would not
 * let it be distributed by `tenant_id` (docs/scale-out.md).
 */

/** Tables sharded by `tenant_id`, all co-located with `tenants`, so a tenant's joins stay on one node. */
export const TENANT_TABLES = [
  // platform
  "org_units",
  "store_groups",
  "api_keys",
  "users",
  "sessions",
  "member_token_revocations",
  "sign_in_failures",
  "idempotency_keys",
  "audit_events",
  "events",
  "webhook_endpoints",
  "webhook_deliveries",
  "webhook_attempts",
  "job_schedules",
  "file_jobs",
  "inbox_messages",
  "notification_templates",
  "notification_deliveries",
  "notification_counters",
  // ledger
  "ledger_assets",
  "ledger_accounts",
  "ledger_transfers",
  // members and wallets
  "members",
  "member_groups",
  "member_tags",
  "member_tier_changes",
  "card_plans",
  "card_tiers",
  "member_catalog_versions",
  "wallet_settings",
  "wallet_changes",
  "wallet_payments",
  "wallet_point_lots",
  "wallet_refunds",
  "wallet_topup_intents",
  // deposits
  "deposit_accounts",
  "deposit_bank_bindings",
  "deposit_bank_records",
  "deposit_campaigns",
  "deposit_entries",
  "deposit_invoice_profiles",
  "deposit_invoice_requests",
  "deposit_mail_addresses",
  "deposit_manual_items",
  "deposit_notices",
  "deposit_order_costs",
  "deposit_settings",
  "deposit_topups",
  "deposit_withdrawals",
  // vouchers
  "voucher_templates",
  "voucher_quotas",
  "voucher_quota_changes",
  "vouchers",
  "voucher_usages",
  "voucher_redemptions",
  "voucher_bills",
  "voucher_bill_refunds",
  // enterprise
  "enterprise_settings",
  "enterprise_members",
  "enterprise_sharing_changes",
  "enterprise_coupons",
  "enterprise_coupon_records",
  "resource_packages",
  "resource_usages",
  // benefits and checkout
  "benefits",
  "benefit_catalog_versions",
  "benefit_campaigns",
  "checkout_orders",
  "checkout_refunds",
  "checkout_benefit_usages",
  // catalog: the pieces paid packages, top-up plans, gift cards and student ID share
  "images",
  "agreements",
  "agreement_versions",
  "gift_voucher_templates",
  "gift_voucher_packages",
  "gift_stocks",
  "gift_grants",
  "entitlements",
  // packages
  "package_settings",
  "packages",
  "package_orders",
  "package_periods",
  // wallets' tagged lots and top-up plans, smart top-up, recharge codes, payment providers
  "wallet_lots",
  "wallet_payment_legs",
  "wallet_refund_legs",
  "topup_plans",
  "smart_topup_plans",
  "recharge_codes",
  "topups",
  "smart_topup_acceptances",
  "payment_provider_configs",
  // gift cards
  "gift_card_plans",
  "gift_cards",
  "gift_card_activities",
  "gift_card_payments",
  "gift_card_lookup_limits",
  // member center
  "member_center_settings",
  "member_center_codes",
  "cashier_orders",
  "cashier_payments",
  // sandbox tenants
  "tenant_clocks",
  // students
  "student_settings",
  "student_verifications",
  "student_id_images",
] as const;

/** The tenants themselves: sharded by their own id, the anchor every tenant table co-locates with. */
export const TENANT_ANCHOR = { table: "tenants", column: "id" } as const;

/** Small tables every node needs a copy of (none yet: no global lookup data exists). */
export const REFERENCE_TABLES = [] as const;

/** Tables that stay on the coordinator only: migration bookkeeping. */
export const LOCAL_TABLES = ["kysely_migration", "kysely_migration_lock"] as const;

/**
 * Schemas that stay on the coordinator whole: pg-boss's job queue (jobs are claimed across
 * tenants with SKIP LOCKED, which a distributed table cannot serve).
 */
export const LOCAL_SCHEMAS = ["pgboss"] as const;

/** The DDL a deployment runs on a Citus coordinator after the migrations. */
export function citusDdl(): string {
  const lines = [
    "-- Generated from src/db/scale-out.ts: run on the Citus coordinator after migrating.",
    `select create_distributed_table('${TENANT_ANCHOR.table}', '${TENANT_ANCHOR.column}');`,
    ...TENANT_TABLES.map(
      (table) =>
        `select create_distributed_table('${table}', 'tenant_id', colocate_with => '${TENANT_ANCHOR.table}');`,
    ),
    ...REFERENCE_TABLES.map((table) => `select create_reference_table('${table}');`),
    `-- Local (coordinator only): ${[...LOCAL_TABLES, ...LOCAL_SCHEMAS.map((s) => `schema ${s}`)].join(", ")}.`,
  ];
  return `${lines.join("\n")}\n`;
}
