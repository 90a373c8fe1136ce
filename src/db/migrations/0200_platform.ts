import { type Kysely, sql } from "kysely";
import PgBoss from "pg-boss";
import { protectTenantTable } from "../migrate.js";

/**
 * Platform services: the pg-boss job schema, business schedules, the event outbox,
 * webhook endpoints and deliveries, notifications, and import/export jobs.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // pg-boss's own schema, installed here so every database (and the test template) has it
  // and the job runner starts without DDL. Its plan wraps itself in BEGIN/COMMIT: the
  // migrator already runs this migration in a transaction.
  const plan = PgBoss.getConstructionPlans("pgboss")
    .replace(/^\s*BEGIN;\s*$/m, "")
    .replace(/^\s*COMMIT;\s*$/m, "")
    .replace(/SET LOCAL idle_in_transaction_session_timeout = '30s';/, "");
  await sql.raw(plan).execute(db);

  await sql`
    create table job_schedules (
      tenant_id text not null references tenants(id),
      id text not null,
      key text not null,
      job_name text not null,
      data jsonb not null default '{}',
      spec jsonb not null,
      timezone text,
      enabled boolean not null default true,
      next_run_at timestamptz not null,
      last_run_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, key)
    )`.execute(db);
  await sql`create index job_schedules_due on job_schedules (next_run_at) where enabled`.execute(db);

  await sql`
    create table events (
      tenant_id text not null references tenants(id),
      id text not null,
      type text not null,
      version integer not null default 1,
      data jsonb not null,
      created_at timestamptz not null default now(),
      dispatched_at timestamptz,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index events_undispatched on events (created_at) where dispatched_at is null`.execute(db);
  await sql`create index events_type on events (tenant_id, type, id)`.execute(db);

  await sql`
    create table webhook_endpoints (
      tenant_id text not null references tenants(id),
      id text not null,
      url text not null,
      description text,
      event_types text[] not null,
      secret text not null,
      enabled boolean not null default true,
      disabled_reason text,
      failing_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table webhook_deliveries (
      tenant_id text not null references tenants(id),
      id text not null,
      endpoint_id text not null,
      event_id text not null,
      event_type text not null,
      status text not null check (status in ('pending', 'succeeded', 'failed')),
      attempts integer not null default 0,
      step integer not null default 0,
      next_attempt_at timestamptz,
      claimed_until timestamptz,
      last_status_code integer,
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, endpoint_id, event_id),
      foreign key (tenant_id, endpoint_id) references webhook_endpoints(tenant_id, id) on delete cascade,
      foreign key (tenant_id, event_id) references events(tenant_id, id)
    )`.execute(db);
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(
    db,
  );
  await sql`create index webhook_deliveries_endpoint on webhook_deliveries (tenant_id, endpoint_id, id)`.execute(
    db,
  );

  await sql`
    create table webhook_attempts (
      tenant_id text not null references tenants(id),
      id text not null,
      delivery_id text not null,
      attempt integer not null,
      status_code integer,
      latency_ms integer not null,
      error text,
      response_body text,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, delivery_id) references webhook_deliveries(tenant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index webhook_attempts_delivery on webhook_attempts (tenant_id, delivery_id, attempt)`.execute(
    db,
  );

  await sql`
    create table notification_templates (
      tenant_id text not null references tenants(id),
      notice_type text not null,
      locale text not null check (locale in ('zh-CN', 'en')),
      channel text not null check (channel in ('email', 'sms', 'inbox')),
      subject text not null,
      body text not null,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, notice_type, locale, channel)
    )`.execute(db);

  await sql`
    create table notification_counters (
      tenant_id text not null references tenants(id),
      recipient text not null,
      notice_type text not null,
      window_start timestamptz not null,
      count integer not null,
      primary key (tenant_id, recipient, notice_type, window_start)
    )`.execute(db);

  await sql`
    create table notification_deliveries (
      tenant_id text not null references tenants(id),
      id text not null,
      notice_type text not null,
      channel text not null,
      recipient text not null,
      locale text not null,
      subject text,
      status text not null check (status in ('sent', 'failed', 'capped')),
      error text,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table inbox_messages (
      tenant_id text not null references tenants(id),
      id text not null,
      recipient text not null,
      notice_type text not null,
      title text not null,
      body text not null,
      data jsonb not null default '{}',
      read_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index inbox_messages_recipient on inbox_messages (tenant_id, recipient, id)`.execute(db);
  await sql`create index inbox_messages_unread on inbox_messages (tenant_id, recipient) where read_at is null`.execute(
    db,
  );

  await sql`
    create table file_jobs (
      tenant_id text not null references tenants(id),
      id text not null,
      kind text not null check (kind in ('import', 'export')),
      type text not null,
      format text not null check (format in ('csv', 'xlsx')),
      status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'expired')),
      mode text check (mode in ('all_or_nothing', 'skip_bad_rows')),
      filters jsonb not null default '{}',
      rows_total integer,
      rows_done integer not null default 0,
      rows_failed integer not null default 0,
      errors jsonb not null default '[]',
      error text,
      file_name text,
      file_path text,
      file_size bigint,
      created_by text not null,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      expires_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index file_jobs_kind on file_jobs (tenant_id, kind, id)`.execute(db);
  await sql`create index file_jobs_expiry on file_jobs (expires_at) where status <> 'expired'`.execute(db);

  for (const table of [
    "job_schedules",
    "events",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "notification_templates",
    "notification_counters",
    "notification_deliveries",
    "inbox_messages",
    "file_jobs",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
