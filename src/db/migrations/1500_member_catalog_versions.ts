import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * A tenant's card plans and tiers change rarely and every quote of a member needs them: the
 * quote keeps them in memory per tenant and reads only this version with the member. The
 * version is bumped by triggers in the transaction of every change to either table, so no
 * writer can forget it and a snapshot that sees a version sees the plans and tiers of it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table member_catalog_versions (
      tenant_id text not null references tenants(id),
      version bigint not null,
      primary key (tenant_id)
    )`.execute(db);
  await protectTenantTable(db, "member_catalog_versions");
  await sql`
    create function bump_member_catalog_version() returns trigger language plpgsql as $$
    declare
      tenant text := case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
    begin
      insert into member_catalog_versions (tenant_id, version) values (tenant, 1)
      on conflict (tenant_id) do update set version = member_catalog_versions.version + 1;
      return null;
    end $$`.execute(db);
  for (const table of ["card_plans", "card_tiers"]) {
    await sql
      .raw(
        `create trigger ${table}_member_catalog_version after insert or update or delete on ${table}
         for each row execute function bump_member_catalog_version()`,
      )
      .execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
