import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/** Benefit icons: small images (≤ 1 MiB) kept per tenant; a benefit's `icon` names one. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table benefit_icons (
      tenant_id text not null references tenants(id),
      id text not null,
      media_type text not null check (media_type in ('image/png', 'image/jpeg', 'image/webp', 'image/svg+xml')),
      bytes bytea not null check (octet_length(bytes) between 1 and 1048576),
      sha256 text not null,
      created_by text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await protectTenantTable(db, "benefit_icons");
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
