import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The campaigns marketing and promotional benefits link to (seed 001 §2.1). A promotional
 * benefit may link only a campaign flagged member-exclusive.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table benefit_campaigns (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null check (char_length(name) between 1 and 100),
      kind text not null check (kind in ('marketing', 'promotional')),
      member_exclusive boolean not null,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await protectTenantTable(db, "benefit_campaigns");
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
