import type { ColumnType, Generated } from "kysely";

/**
 * Table types. Each module adds its own tables to `DB` by declaration merging
 * (`declare module "../../db/schema.js" { interface DB { … } }`) in its repository file,
 * so modules never edit one shared list.
 */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A jsonb column the database defaults, so inserts may omit it. */
export type JsonDefault<T = unknown> = ColumnType<T, string | T | undefined, string | T>;
export type Json<T = unknown> = ColumnType<T, string | T, string | T>;

export interface TenantsTable {
  id: string;
  name: string;
  timezone: Generated<string>;
  default_currency: Generated<string>;
  locale: Generated<"zh-CN" | "en">;
  settings: JsonDefault<Record<string, unknown>>;
  /** A sandbox tenant: its time is its test clock (`tenant_clocks`). */
  sandbox: Generated<boolean>;
  /** The live tenant a sandbox was created for (a plain value: tenants never meet). */
  live_tenant_id: string | null;
  /** When a sandbox was archived: its credentials and jobs stop, its rows stay. */
  archived_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A sandbox's test clock: frozen at `frozen_at`, or running `offset_ms` ahead of real time. */
export interface TenantClocksTable {
  tenant_id: string;
  frozen_at: Timestamp | null;
  offset_ms: ColumnType<string, string | number | undefined, string | number>;
  updated_at: Timestamp;
}

export interface OrgUnitsTable {
  tenant_id: string;
  id: string;
  parent_id: string | null;
  kind: string;
  name: string;
  code: string | null;
  /** Materialised path of ids, `/root/child/…/self/`: a subtree is a prefix match. */
  path: string;
  metadata: JsonDefault<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StoreGroupsTable {
  tenant_id: string;
  id: string;
  name: string;
  store_ids: JsonDefault<string[]>;
  /** The unit that owns the group (null: tenant-wide); scoped actors see their subtree's groups. */
  org_unit_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeysTable {
  tenant_id: string;
  id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  role: string;
  org_unit_id: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Timestamp;
}

export interface UsersTable {
  tenant_id: string;
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: string;
  org_unit_id: string | null;
  failed_logins: Generated<number>;
  locked_until: Date | null;
  disabled_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: string;
  csrf_token: string;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  request_hash: string;
  method: string;
  path: string;
  response_status: number;
  /** Only answers stored before they were sealed (pruned within the retention period). */
  response_body: Json | null;
  /** The answer's JSON, sealed (src/platform/idempotency). */
  response_sealed: string | null;
  created_at: Timestamp;
}

export interface AuditEventsTable {
  tenant_id: string;
  id: string;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  summary: JsonDefault<Record<string, unknown>>;
  request_id: string | null;
  created_at: Timestamp;
}

export interface DB {
  tenants: TenantsTable;
  tenant_clocks: TenantClocksTable;
  org_units: OrgUnitsTable;
  store_groups: StoreGroupsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_events: AuditEventsTable;
}
