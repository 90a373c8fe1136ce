import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Members (a tenant's end customers), card plans with ordered tiers, groups and tags.
 * No balance lives here: a member's principal, bonus and points are ledger accounts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table card_plans (
      tenant_id text not null references tenants(id),
      id text not null,
      code text not null,
      name text not null,
      validity_kind text not null check (validity_kind in ('permanent', 'relative')),
      validity_days integer check (validity_days is null or validity_days between 1 and 36600),
      archived_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, code),
      check ((validity_kind = 'permanent') = (validity_days is null))
    )`.execute(db);

  await sql`
    create table card_tiers (
      tenant_id text not null references tenants(id),
      id text not null,
      card_plan_id text not null,
      code text not null,
      name text not null,
      rank integer not null check (rank between 1 and 1000),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, code),
      unique (tenant_id, card_plan_id, rank),
      foreign key (tenant_id, card_plan_id) references card_plans(tenant_id, id)
    )`.execute(db);

  for (const table of ["member_groups", "member_tags"]) {
    await sql
      .raw(`
      create table ${table} (
        tenant_id text not null references tenants(id),
        id text not null,
        code text not null,
        name text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        primary key (tenant_id, id),
        unique (tenant_id, code)
      )`)
      .execute(db);
  }

  await sql`
    create table members (
      tenant_id text not null references tenants(id),
      id text not null,
      external_ref text,
      name text not null,
      phone text,
      email text,
      birth_month smallint check (birth_month between 1 and 12),
      birth_day smallint check (birth_day between 1 and 31),
      birth_year smallint check (birth_year between 1900 and 2100),
      card_plan_id text,
      tier_id text,
      card_number text,
      card_issued_at timestamptz,
      card_expires_at timestamptz,
      student boolean not null default false,
      status text not null default 'active' check (status in ('active', 'frozen', 'closed')),
      org_unit_id text,
      group_ids text[] not null default '{}',
      tag_ids text[] not null default '{}',
      metadata jsonb not null default '{}',
      registered_at timestamptz not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, external_ref),
      unique (tenant_id, card_number),
      check ((birth_month is null) = (birth_day is null)),
      check (birth_year is null or birth_month is not null),
      check (tier_id is null or card_plan_id is not null),
      foreign key (tenant_id, card_plan_id) references card_plans(tenant_id, id),
      foreign key (tenant_id, tier_id) references card_tiers(tenant_id, id),
      foreign key (tenant_id, org_unit_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create index members_phone on members (tenant_id, phone)`.execute(db);
  await sql`create index members_registered on members (tenant_id, registered_at, id)`.execute(db);
  await sql`create index members_tier on members (tenant_id, tier_id)`.execute(db);
  await sql`create index members_groups on members using gin (group_ids)`.execute(db);
  await sql`create index members_tags on members using gin (tag_ids)`.execute(db);

  await sql`
    create table member_tier_changes (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      from_plan_id text,
      from_tier_id text,
      to_plan_id text,
      to_tier_id text,
      reason text not null check (reason in ('manual', 'topup_upgrade', 'package', 'registration', 'import')),
      reference text,
      actor_type text not null,
      actor_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index member_tier_changes_member on member_tier_changes (tenant_id, member_id, id)`.execute(
    db,
  );

  for (const table of [
    "card_plans",
    "card_tiers",
    "member_groups",
    "member_tags",
    "members",
    "member_tier_changes",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
