import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Vouchers held by members (issue 9): a voucher is held either by an org unit
 * (`customer_id`) or by a member (`member_id`), never both; a member's voucher may be issued
 * by the tenant itself (no issuing org unit). Redemptions and returns by voucher id (the
 * checkout's orders and refunds) are recorded per movement; the value is in the ledger.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table vouchers drop constraint vouchers_purpose_check`.execute(db);
  await sql`alter table vouchers add constraint vouchers_purpose_check
    check (purpose in ('customer_discount', 'product_trial', 'cash_coupon', 'member_voucher'))`.execute(db);
  await sql`alter table vouchers add column member_id text`.execute(db);
  await sql`alter table vouchers alter column customer_id drop not null`.execute(db);
  await sql`alter table vouchers alter column issuer_id drop not null`.execute(db);
  await sql`alter table vouchers add constraint vouchers_member_fk
    foreign key (tenant_id, member_id) references members(tenant_id, id)`.execute(db);
  await sql`alter table vouchers add constraint vouchers_one_holder
    check ((customer_id is null) <> (member_id is null))`.execute(db);
  await sql`alter table vouchers add constraint vouchers_issuer_or_member
    check (issuer_id is not null or member_id is not null)`.execute(db);
  await sql`create index vouchers_member on vouchers (tenant_id, member_id, state, expires_at)
    where member_id is not null`.execute(db);

  // One row per movement by voucher id: a redemption (voucher → settlement) or a return of
  // (part of) one (settlement → voucher, or → its source once it can no longer be used).
  await sql`
    create table voucher_redemptions (
      tenant_id text not null references tenants(id),
      id text not null,
      voucher_id text not null,
      kind text not null check (kind in ('redemption', 'return')),
      redemption_id text,
      reference_module text not null,
      reference_id text not null,
      amount bigint not null check (amount > 0),
      returned_to text check (returned_to in ('voucher', 'source')),
      transfer_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, voucher_id, kind, reference_module, reference_id),
      foreign key (tenant_id, voucher_id) references vouchers(tenant_id, id),
      foreign key (tenant_id, redemption_id) references voucher_redemptions(tenant_id, id),
      check ((kind = 'redemption') = (redemption_id is null)),
      check ((kind = 'return') = (returned_to is not null))
    )`.execute(db);
  await sql`create index voucher_redemptions_of on voucher_redemptions (tenant_id, redemption_id)
    where redemption_id is not null`.execute(db);
  await protectTenantTable(db, "voucher_redemptions");
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
