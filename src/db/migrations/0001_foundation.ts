import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

export async function up(db: Kysely<any>): Promise<void> {
  // The app role: no login of its own, no RLS bypass; the connecting user becomes it per session.
  await sql`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'vouchsafe_app') then
        create role vouchsafe_app nologin nosuperuser nobypassrls;
      end if;
    end $$`.execute(db);
  await sql`grant vouchsafe_app to current_user`.execute(db).catch(() => {});
  await sql`grant usage on schema public to vouchsafe_app`.execute(db);
  await sql`alter default privileges in schema public grant select, insert, update, delete on tables to vouchsafe_app`.execute(
    db,
  );
  await sql`alter default privileges in schema public grant usage, select on sequences to vouchsafe_app`.execute(
    db,
  );

  await sql`
    create table tenants (
      id text primary key,
      name text not null,
      timezone text not null default 'UTC',
      default_currency text not null default 'CNY',
      locale text not null default 'en' check (locale in ('zh-CN', 'en')),
      settings jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  // A tenant sees only its own row.
  await sql`alter table tenants enable row level security`.execute(db);
  await sql`create policy tenant_isolation on tenants using (id = current_setting('vouchsafe.tenant_id', true))`.execute(
    db,
  );

  await sql`
    create table org_units (
      tenant_id text not null references tenants(id),
      id text not null,
      parent_id text,
      kind text not null,
      name text not null,
      code text,
      path text not null,
      metadata jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, parent_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create index org_units_path on org_units (tenant_id, path text_pattern_ops)`.execute(db);
  await sql`create unique index org_units_code on org_units (tenant_id, code) where code is not null`.execute(
    db,
  );

  await sql`
    create table store_groups (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      store_ids jsonb not null default '[]',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table api_keys (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      prefix text not null,
      secret_hash text not null,
      role text not null,
      org_unit_id text,
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, org_unit_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create unique index api_keys_secret_hash on api_keys (secret_hash)`.execute(db);

  await sql`
    create table users (
      tenant_id text not null references tenants(id),
      id text not null,
      email text not null,
      name text not null,
      password_hash text not null,
      role text not null,
      org_unit_id text,
      failed_logins integer not null default 0,
      locked_until timestamptz,
      disabled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, org_unit_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create unique index users_email on users (tenant_id, lower(email))`.execute(db);

  await sql`
    create table sessions (
      tenant_id text not null references tenants(id),
      id text not null,
      user_id text not null,
      token_hash text not null,
      csrf_token text not null,
      expires_at timestamptz not null,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, user_id) references users(tenant_id, id)
    )`.execute(db);
  await sql`create unique index sessions_token on sessions (token_hash)`.execute(db);

  await sql`
    create table idempotency_keys (
      tenant_id text not null references tenants(id),
      key text not null,
      request_hash text not null,
      method text not null,
      path text not null,
      response_status integer not null,
      response_body jsonb not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, key)
    )`.execute(db);
  await sql`create index idempotency_keys_created on idempotency_keys (created_at)`.execute(db);

  await sql`
    create table audit_events (
      tenant_id text not null references tenants(id),
      id text not null,
      actor_type text not null,
      actor_id text not null,
      actor_role text,
      action text not null,
      target_type text not null,
      target_id text,
      summary jsonb not null default '{}',
      request_id text,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index audit_events_target on audit_events (tenant_id, target_type, target_id)`.execute(db);
  await sql`create index audit_events_actor on audit_events (tenant_id, actor_id, created_at)`.execute(db);

  // Credentials are looked up before the tenant is known: these functions run as the owner
  // and answer only for an exact secret hash, so the app role never reads across tenants.
  await sql`
    create function auth_api_key(p_hash text)
    returns table (tenant_id text, id text, role text, org_unit_id text, expires_at timestamptz, revoked_at timestamptz, last_used_at timestamptz)
    language sql stable security definer set search_path = public as $$
      select tenant_id, id, role, org_unit_id, expires_at, revoked_at, last_used_at from api_keys where secret_hash = p_hash
    $$`.execute(db);
  await sql`
    create function auth_session(p_hash text)
    returns table (tenant_id text, id text, user_id text, csrf_token text, expires_at timestamptz, revoked_at timestamptz)
    language sql stable security definer set search_path = public as $$
      select tenant_id, id, user_id, csrf_token, expires_at, revoked_at from sessions where token_hash = p_hash
    $$`.execute(db);
  await sql`grant execute on function auth_api_key(text), auth_session(text) to vouchsafe_app`.execute(db);

  for (const table of [
    "org_units",
    "store_groups",
    "api_keys",
    "users",
    "sessions",
    "idempotency_keys",
    "audit_events",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
