import { type Kysely, sql } from "kysely";

/**
 * A store group belongs to an org unit (null: tenant-wide), so actors bound to an org unit
 * see only the groups of their own subtree.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table store_groups add column org_unit_id text`.execute(db);
  await sql`
    alter table store_groups add constraint store_groups_org_unit_fk
      foreign key (tenant_id, org_unit_id) references org_units(tenant_id, id)`.execute(db);
  await sql`create index org_units_parent on org_units (tenant_id, parent_id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
