import { sql } from "kysely";
import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import type { Actor } from "../auth/actor.js";
import { pageLimit, toPage } from "../http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum, Timestamp } from "../http/schemas.js";
import { escapeLike } from "../org/org-units.js";
import { actorLabel } from "./audit.js";

const ACTOR_TYPES = ["api_key", "user", "member", "system"] as const;

const AuditEvent = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("audit_event"),
    actor_type: StringEnum(ACTOR_TYPES),
    actor_id: Type.String(),
    actor_role: Type.Union([Type.String(), Type.Null()]),
    actor_label: Type.Union([Type.String(), Type.Null()], {
      description:
        "Who the actor is, for people to read: a user's email or an API key's name; null for members, " +
        "the system, and actors since deleted",
    }),
    action: Type.String({ examples: ["org_unit.moved"] }),
    target_type: Type.String(),
    target_id: Type.Union([Type.String(), Type.Null()]),
    summary: Type.Record(Type.String(), Type.Unknown(), { description: "What changed: before / after" }),
    request_id: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
  },
  { $id: "AuditEvent" },
);

interface AuditRow {
  id: string;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  summary: Record<string, unknown>;
  request_id: string | null;
  created_at: Date;
}

function serializeEvent(row: AuditRow) {
  return {
    id: row.id,
    object: "audit_event" as const,
    actor_type: row.actor_type as (typeof ACTOR_TYPES)[number],
    actor_id: row.actor_id,
    actor_role: row.actor_role,
    actor_label: row.actor_label,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    summary: row.summary,
    request_id: row.request_id,
    created_at: row.created_at.toISOString(),
  };
}

/**
 * What an actor bound to an org unit may read: its own events and those of API keys and
 * users bound inside its subtree. Members' and system jobs' events are tenant-wide only.
 */
function visibleTo(actor: Actor, prefix: string) {
  const pattern = `${escapeLike(prefix)}%`;
  return sql<boolean>`(
    (audit_events.actor_type = ${actor.type} and audit_events.actor_id = ${actor.id})
    or (audit_events.actor_type, audit_events.actor_id) in (
      select 'api_key', k.id from api_keys k
        join org_units o on o.tenant_id = k.tenant_id and o.id = k.org_unit_id
        where o.path like ${pattern}
      union all
      select 'user', u.id from users u
        join org_units o on o.tenant_id = u.tenant_id and o.id = u.org_unit_id
        where o.path like ${pattern}))`;
}

/** The audit log: who changed what, when. */
export async function auditRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db } = deps;

  app.get(
    "/v1/audit-events",
    {
      config: { permission: "audit.read" },
      schema: {
        tags: ["audit"],
        summary: "List audit events, newest first",
        description:
          "Filters combine with AND. An actor bound to an org unit sees its own events and those of " +
          "API keys and users bound inside its subtree.",
        querystring: Obj({
          ...ListQuery,
          actor_id: Type.Optional(IdParam),
          actor_type: Type.Optional(StringEnum(ACTOR_TYPES)),
          action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ["user.created"] })),
          target_type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          target_id: Type.Optional(IdParam),
          created_gte: Type.Optional(Timestamp),
          created_lt: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(AuditEvent), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const q = request.query;
      const limit = pageLimit(q.limit);
      let query = db.kysely
        .selectFrom("audit_events")
        .selectAll()
        .select(actorLabel.as("actor_label"))
        .where("audit_events.tenant_id", "=", actor.tenantId)
        .orderBy("audit_events.id", "desc")
        .limit(limit + 1);
      if (actor.orgUnitPath) query = query.where(visibleTo(actor, actor.orgUnitPath));
      if (q.actor_id) query = query.where("actor_id", "=", q.actor_id);
      if (q.actor_type) query = query.where("actor_type", "=", q.actor_type);
      if (q.action) query = query.where("action", "=", q.action);
      if (q.target_type) query = query.where("target_type", "=", q.target_type);
      if (q.target_id) query = query.where("target_id", "=", q.target_id);
      if (q.created_gte) query = query.where("created_at", ">=", new Date(q.created_gte));
      if (q.created_lt) query = query.where("created_at", "<", new Date(q.created_lt));
      if (q.starting_after) query = query.where("audit_events.id", "<", q.starting_after);
      const rows = await db.tenantQuery(actor.tenantId, query);
      return toPage(rows as AuditRow[], limit, serializeEvent);
    },
  );
}

/** The audit log. */
export const auditManifest: ModuleManifest = {
  name: "platform.audit",
  routes: auditRoutes,
  permissions: { "audit.read": ["owner", "admin", "finance"] },
};
