import { sql } from "kysely";
import { appendRow, type RowTarget } from "../../db/database.js";
import { newId } from "../../shared/ids.js";
import type { Actor, RequestContext } from "../auth/actor.js";

export interface AuditEntry {
  /** `<noun>.<verb>`, e.g. `api_key.created`, `org_unit.moved`. */
  action: string;
  targetType: string;
  targetId: string | null;
  /** A before/after summary: what changed, never secrets. */
  summary?: Record<string, unknown>;
}

/**
 * Writes one audit event in the caller's transaction (or unit of work), so an audited
 * change and its audit record commit or roll back together.
 */
export async function recordAudit(
  target: RowTarget,
  context: RequestContext | Actor,
  entry: AuditEntry,
  now: Date,
): Promise<void> {
  const actor = "actor" in context ? context.actor : context;
  const requestId = "actor" in context ? context.requestId : null;
  await appendRow(target, "audit_events", {
    tenant_id: actor.tenantId,
    id: newId("aud"),
    actor_type: actor.type,
    actor_id: actor.id,
    actor_role: actor.role,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    summary: JSON.stringify(entry.summary ?? {}),
    request_id: requestId,
    created_at: now,
  });
}

/**
 * The before/after summary of an update: only the fields whose value changed, compared
 * as JSON (dates, objects and arrays included).
 */
export function changeSummary<T extends object, K extends keyof T & string>(
  before: T,
  after: T,
  fields: readonly K[],
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const changed = fields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  return {
    before: Object.fromEntries(changed.map((f) => [f, before[f]])),
    after: Object.fromEntries(changed.map((f) => [f, after[f]])),
  };
}

/**
 * A user's email or an API key's name beside its id, read in the same statement as the rows
 * that name the actor (`table`'s tenant, type and id columns); null for members and the system.
 * Both lookups lead with the tenant, so they stay on the tenant's shard (docs/scale-out.md).
 */
export function actorLabelOf(table: string, type = "actor_type", id = "actor_id") {
  const tenantId = sql.ref(`${table}.tenant_id`);
  const actorType = sql.ref(`${table}.${type}`);
  const actorId = sql.ref(`${table}.${id}`);
  return sql<string | null>`case ${actorType}
  when 'user' then (select u.email from users u where u.tenant_id = ${tenantId} and u.id = ${actorId})
  when 'api_key' then (select k.name from api_keys k where k.tenant_id = ${tenantId} and k.id = ${actorId})
  end`;
}

export const actorLabel = actorLabelOf("audit_events");
