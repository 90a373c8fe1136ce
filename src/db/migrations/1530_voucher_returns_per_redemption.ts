import { type Kysely, sql } from "kysely";

/**
 * A return is one per redemption and refund id (what `returnVoucher` promises), not one per
 * voucher and refund id: a refund that gives back two redemptions of one voucher (two orders
 * it paid part of) records two returns under the same refund id. A redemption stays one per
 * voucher and reference.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table voucher_redemptions
    drop constraint voucher_redemptions_tenant_id_voucher_id_kind_reference_mod_key`.execute(db);
  await sql`create unique index voucher_redemptions_one_per_reference
    on voucher_redemptions (tenant_id, voucher_id, reference_module, reference_id)
    where kind = 'redemption'`.execute(db);
  await sql`create unique index voucher_redemptions_one_return_per_refund
    on voucher_redemptions (tenant_id, redemption_id, reference_id)
    where kind = 'return'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
