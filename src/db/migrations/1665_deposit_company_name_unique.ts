import { type Kysely, sql } from "kysely";

/**
 * Wires are credited to the merchant whose bound company name is the payer's, so a name may be
 * effectively bound by one merchant of a tenant only; otherwise a merchant that bound a rival's
 * name and applied for the same amount first could take the rival's wire.
 *
 * Names are compared by `deposit_company_key`: Unicode NFKC (full-width letters, digits,
 * brackets and the ideographic space become their half-width forms), whitespace collapsed and
 * dropped beside brackets ("Acme (Shanghai) Ltd" is "Acme（Shanghai）Ltd"), trimmed, lower-cased.
 *
 * Names two merchants already share are left as they are (the merchants may be one company):
 * every binding but the oldest of each such name is marked `legacy_duplicate_name`, outside the
 * unique index until its next change, and bank matching sends a payer name more than one
 * merchant bears to finance instead of choosing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function deposit_company_key(name text) returns text
    language sql immutable strict parallel safe
    as $$ select lower(btrim(regexp_replace(
      regexp_replace(normalize(name, NFKC), '\\s+', ' ', 'g'),
      ' ?([][()]) ?', '\\1', 'g'))) $$`.execute(db);
  await sql`
    alter table deposit_bank_bindings
      add column legacy_duplicate_name boolean not null default false`.execute(db);
  await sql`
    with ranked as (
      select tenant_id, merchant_id,
        row_number() over (
          partition by tenant_id, deposit_company_key(company_name)
          order by created_at, merchant_id
        ) as n
      from deposit_bank_bindings
      where status = 'effective'
    )
    update deposit_bank_bindings b set legacy_duplicate_name = true
    from ranked
    where ranked.tenant_id = b.tenant_id and ranked.merchant_id = b.merchant_id and ranked.n > 1`.execute(db);
  await sql`
    create unique index deposit_bank_bindings_company_key
      on deposit_bank_bindings (tenant_id, deposit_company_key(company_name))
      where status = 'effective' and not legacy_duplicate_name`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
