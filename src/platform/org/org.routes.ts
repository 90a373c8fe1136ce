import { sql } from "kysely";
import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { DomainError, defineErrors } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { changeSummary, recordAudit } from "../audit/audit.js";
import type { Actor } from "../auth/actor.js";
import { ALL_STAFF, MANAGERS } from "../auth/permissions.js";
import { assertInScope } from "../auth/scope.js";
import { pageLimit, toPage } from "../http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Metadata,
  Obj,
  StringEnum,
  Timestamp,
} from "../http/schemas.js";
import { runIdempotent } from "../idempotency/idempotency.js";
import { insertOrgUnit } from "../tenants.js";
import {
  isForeignKeyViolation,
  isUniqueViolation,
  lockTree,
  moveOrgUnit,
  ORG_UNIT_COLUMNS,
  ORG_UNIT_ERRORS,
  ORG_UNIT_KINDS,
  type OrgUnitRow,
  orgUnitInScope,
  subtreePattern,
} from "./org-units.js";

export const ORG_ERRORS = defineErrors({ ...ORG_UNIT_ERRORS.statuses, store_group_in_use: 409 });

const MAX_METADATA_BYTES = 4096;
export const MAX_STORES_PER_GROUP = 500;

const OrgUnit = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("org_unit"),
    parent_id: Type.Union([Type.String(), Type.Null()], { description: "null for the tenant's root unit" }),
    kind: StringEnum(ORG_UNIT_KINDS),
    name: Type.String(),
    code: Type.Union([Type.String(), Type.Null()], {
      description: "The tenant's own code, unique per tenant",
    }),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "OrgUnit" },
);

const StoreGroup = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("store_group"),
    name: Type.String(),
    org_unit_id: Type.Union([Type.String(), Type.Null()], {
      description: "The unit that owns the group; its stores lie in that unit's subtree. null: tenant-wide",
    }),
    store_ids: Type.Array(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "StoreGroup" },
);

const Code = Type.String({ minLength: 1, maxLength: 64 });
const StoreIds = Type.Array(IdParam, { maxItems: MAX_STORES_PER_GROUP, uniqueItems: true });

function serializeUnit(row: OrgUnitRow) {
  return {
    id: row.id,
    object: "org_unit" as const,
    parent_id: row.parent_id,
    kind: row.kind as (typeof ORG_UNIT_KINDS)[number],
    name: row.name,
    code: row.code,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

interface StoreGroupRow {
  id: string;
  name: string;
  org_unit_id: string | null;
  store_ids: string[];
  created_at: Date;
  updated_at: Date;
}

function serializeGroup(row: StoreGroupRow) {
  return {
    id: row.id,
    object: "store_group" as const,
    name: row.name,
    org_unit_id: row.org_unit_id,
    store_ids: row.store_ids,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function assertMetadataSize(metadata: Record<string, unknown> | undefined): void {
  if (metadata && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw new DomainError(
      "validation_failed",
      `metadata may hold at most ${MAX_METADATA_BYTES} bytes of JSON`,
      {
        errors: [{ field: "/body/metadata", message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` }],
      },
    );
  }
}

const codeTaken = (error: unknown) => {
  if (isUniqueViolation(error, "org_units_code")) {
    throw new DomainError("org_unit_code_taken", "Another org unit of the tenant has this code");
  }
  throw error;
};

/**
 * Checks that every id is a store of the tenant inside `owner`'s subtree (when the group
 * has an owner) and inside the actor's scope. Missing and out-of-scope stores answer alike.
 */
async function assertStores(trx: Tx, actor: Actor, owner: OrgUnitRow | null, storeIds: string[]) {
  if (storeIds.length === 0) return;
  const units = await trx
    .selectFrom("org_units")
    .select(["id", "kind", "path"])
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "in", storeIds)
    .execute();
  const byId = new Map(units.map((u) => [u.id, u]));
  for (const [index, id] of storeIds.entries()) {
    const unit = byId.get(id);
    if (!unit) throw new DomainError("store_not_found", `Store ${id} not found`);
    assertInScope(actor, unit.path, "store");
    if (unit.kind !== "store") {
      throw new DomainError("not_a_store", `Org unit ${id} is a ${unit.kind}, not a store`, {
        errors: [{ field: `/body/store_ids/${index}`, message: "is not a store" }],
      });
    }
    if (owner && !unit.path.startsWith(owner.path)) {
      throw new DomainError("store_outside_group_unit", `Store ${id} is not inside the group's org unit`, {
        errors: [{ field: `/body/store_ids/${index}`, message: "is outside the group's org unit" }],
      });
    }
  }
}

/** The organisation tree (org units) and store groups. */
export async function orgRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const audit = (trx: Tx, actor: Actor, requestId: string, entry: Parameters<typeof recordAudit>[2]) =>
    recordAudit(trx, { actor, requestId }, entry, clock.now());
  const unitParams = Obj({ id: IdParam });

  app.post(
    "/v1/org-units",
    {
      config: { permission: "org.manage", idempotent: true },
      schema: {
        tags: ["organisation"],
        summary: "Create an org unit under a parent",
        body: Obj({
          parent_id: IdParam,
          kind: StringEnum(ORG_UNIT_KINDS),
          name: Type.String({ minLength: 1, maxLength: 200 }),
          code: Type.Optional(Type.Union([Code, Type.Null()])),
          metadata: Type.Optional(Metadata),
        }),
        response: { 201: OrgUnit, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const body = request.body;
      assertMetadataSize(body.metadata);
      return runIdempotent(request, reply, deps, async (record) =>
        db
          .tenantTx(actor.tenantId, async (trx) => {
            await lockTree(trx, actor.tenantId, "shared");
            const parent = await orgUnitInScope(trx, actor, body.parent_id);
            const now = clock.now();
            const { id } = await insertOrgUnit(
              trx,
              actor.tenantId,
              {
                parentId: parent.id,
                parentPath: parent.path,
                kind: body.kind,
                name: body.name,
                code: body.code ?? null,
                metadata: body.metadata,
              },
              now,
            );
            const unit = await orgUnitInScope(trx, actor, id);
            await audit(trx, actor, request.id, {
              action: "org_unit.created",
              targetType: "org_unit",
              targetId: id,
              summary: { after: { parent_id: parent.id, kind: body.kind, name: body.name, code: unit.code } },
            });
            return record(trx, 201, serializeUnit(unit));
          })
          .catch(codeTaken),
      );
    },
  );

  app.get(
    "/v1/org-units",
    {
      config: { permission: "org.read" },
      schema: {
        tags: ["organisation"],
        summary: "List org units: children of a parent, a whole subtree, or everything in scope",
        description:
          "`parent_id`: the unit's direct children. `subtree_of`: the unit and everything below it.",
        querystring: Obj({
          ...ListQuery,
          parent_id: Type.Optional(IdParam),
          subtree_of: Type.Optional(IdParam),
          kind: Type.Optional(StringEnum(ORG_UNIT_KINDS)),
        }),
        response: { 200: listOf(OrgUnit), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        let query = trx
          .selectFrom("org_units")
          .select(ORG_UNIT_COLUMNS)
          .where("tenant_id", "=", actor.tenantId)
          .orderBy("id")
          .limit(limit + 1);
        if (actor.orgUnitPath) query = query.where("path", "like", subtreePattern(actor.orgUnitPath));
        if (q.subtree_of) {
          const top = await orgUnitInScope(trx, actor, q.subtree_of);
          query = query.where("path", "like", subtreePattern(top.path));
        }
        if (q.parent_id) {
          await orgUnitInScope(trx, actor, q.parent_id);
          query = query.where("parent_id", "=", q.parent_id);
        }
        if (q.kind) query = query.where("kind", "=", q.kind);
        if (q.starting_after) query = query.where("id", ">", q.starting_after);
        return query.execute();
      });
      return toPage(rows as OrgUnitRow[], limit, serializeUnit);
    },
  );

  app.get(
    "/v1/org-units/:id",
    {
      config: { permission: "org.read" },
      schema: {
        tags: ["organisation"],
        summary: "Get an org unit",
        params: unitParams,
        response: { 200: OrgUnit, ...errorResponses() },
      },
    },
    async (request) =>
      serializeUnit(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          orgUnitInScope(trx, request.actor, request.params.id),
        ),
      ),
  );

  app.patch(
    "/v1/org-units/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags: ["organisation"],
        summary: "Rename an org unit or change its code or metadata",
        params: unitParams,
        body: Obj(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            code: Type.Optional(Type.Union([Code, Type.Null()])),
            metadata: Type.Optional(Metadata),
          },
          { minProperties: 1 },
        ),
        response: { 200: OrgUnit, ...errorResponses(409) },
      },
    },
    async (request) => {
      const actor = request.actor;
      const body = request.body;
      assertMetadataSize(body.metadata);
      const unit = await db
        .tenantTx(actor.tenantId, async (trx) => {
          const before = await orgUnitInScope(trx, actor, request.params.id, { forUpdate: true });
          const after = (await trx
            .updateTable("org_units")
            .set({
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(body.code !== undefined ? { code: body.code } : {}),
              ...(body.metadata !== undefined ? { metadata: JSON.stringify(body.metadata) } : {}),
              updated_at: clock.now(),
            })
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", before.id)
            .returning(ORG_UNIT_COLUMNS)
            .executeTakeFirstOrThrow()) as OrgUnitRow;
          await audit(trx, actor, request.id, {
            action: "org_unit.updated",
            targetType: "org_unit",
            targetId: before.id,
            summary: changeSummary(before, after, ["name", "code", "metadata"]),
          });
          return after;
        })
        .catch(codeTaken);
      return serializeUnit(unit);
    },
  );

  app.post(
    "/v1/org-units/:id/move",
    {
      config: { permission: "org.manage", idempotent: true },
      schema: {
        tags: ["organisation"],
        summary: "Move an org unit (with its whole subtree) under another parent",
        description: "Refuses the root and any move under the unit's own subtree.",
        params: unitParams,
        body: Obj({ parent_id: IdParam }),
        response: { 200: OrgUnit, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          await lockTree(trx, actor.tenantId, "exclusive");
          const unit = await orgUnitInScope(trx, actor, request.params.id, { forUpdate: true });
          const parent = await orgUnitInScope(trx, actor, request.body.parent_id);
          const moved = await moveOrgUnit(trx, actor.tenantId, unit, parent, clock.now());
          await audit(trx, actor, request.id, {
            action: "org_unit.moved",
            targetType: "org_unit",
            targetId: unit.id,
            summary: {
              before: { parent_id: unit.parent_id },
              after: { parent_id: parent.id },
              units_moved: moved,
            },
          });
          return record(trx, 200, serializeUnit(await orgUnitInScope(trx, actor, unit.id)));
        }),
      );
    },
  );

  app.delete(
    "/v1/org-units/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags: ["organisation"],
        summary: "Delete an org unit that nothing refers to (no children, users, keys, groups, …)",
        params: unitParams,
        response: { 204: Type.Null(), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      await db
        .tenantTx(actor.tenantId, async (trx) => {
          await lockTree(trx, actor.tenantId, "exclusive");
          const unit = await orgUnitInScope(trx, actor, request.params.id, { forUpdate: true });
          if (unit.parent_id === null) {
            throw new DomainError("org_unit_is_root", "The root org unit cannot be deleted");
          }
          const inGroup = await trx
            .selectFrom("store_groups")
            .select("id")
            .where("tenant_id", "=", actor.tenantId)
            .where(sql<boolean>`store_ids @> ${JSON.stringify([unit.id])}::jsonb`)
            .executeTakeFirst();
          if (inGroup) throw new DomainError("org_unit_in_use", "The store belongs to a store group");
          await trx
            .deleteFrom("org_units")
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", unit.id)
            .execute();
          await audit(trx, actor, request.id, {
            action: "org_unit.deleted",
            targetType: "org_unit",
            targetId: unit.id,
            summary: {
              before: { parent_id: unit.parent_id, kind: unit.kind, name: unit.name, code: unit.code },
            },
          });
        })
        .catch((error) => {
          // Children, users, API keys and other modules' rows refer to units by foreign key.
          if (isForeignKeyViolation(error)) {
            throw new DomainError("org_unit_in_use", "Other things still refer to this org unit");
          }
          throw error;
        });
      return reply.status(204).send(null);
    },
  );

  async function groupInScope(trx: Tx, actor: Actor, id: string, forUpdate = false) {
    let query = trx
      .selectFrom("store_groups")
      .leftJoin("org_units", (j) =>
        j
          .onRef("org_units.tenant_id", "=", "store_groups.tenant_id")
          .onRef("org_units.id", "=", "store_groups.org_unit_id"),
      )
      .selectAll("store_groups")
      .select("org_units.path")
      .where("store_groups.tenant_id", "=", actor.tenantId)
      .where("store_groups.id", "=", id);
    if (forUpdate) query = query.forUpdate("store_groups");
    const row = await query.executeTakeFirst();
    if (!row) throw new DomainError("store_group_not_found", "Store group not found");
    assertInScope(actor, row.org_unit_id ? row.path : null, "store_group");
    return row as StoreGroupRow & { path: string | null };
  }

  app.post(
    "/v1/store-groups",
    {
      config: { permission: "org.manage", idempotent: true },
      schema: {
        tags: ["organisation"],
        summary: "Create a store group (a named set of stores)",
        description:
          "Every id must be a store inside the group's org unit (default: the caller's own unit) and the caller's scope.",
        body: Obj({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          store_ids: StoreIds,
          org_unit_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
        }),
        response: { 201: StoreGroup, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const body = request.body;
      if (body.org_unit_id === null && actor.orgUnitPath) {
        throw new DomainError("forbidden", "You can only create groups inside your own org unit");
      }
      const ownerId = body.org_unit_id ?? actor.orgUnitId;
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const owner = ownerId ? await orgUnitInScope(trx, actor, ownerId) : null;
          await assertStores(trx, actor, owner, body.store_ids);
          const now = clock.now();
          const row = await trx
            .insertInto("store_groups")
            .values({
              tenant_id: actor.tenantId,
              id: newId("sgr"),
              name: body.name,
              org_unit_id: ownerId,
              store_ids: JSON.stringify(body.store_ids),
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit(trx, actor, request.id, {
            action: "store_group.created",
            targetType: "store_group",
            targetId: row.id,
            summary: { after: { name: row.name, org_unit_id: ownerId, store_ids: body.store_ids } },
          });
          return record(trx, 201, serializeGroup(row as StoreGroupRow));
        }),
      );
    },
  );

  app.get(
    "/v1/store-groups",
    {
      config: { permission: "org.read" },
      schema: {
        tags: ["organisation"],
        summary: "List store groups",
        querystring: Obj({ ...ListQuery, store_id: Type.Optional(IdParam) }),
        response: { 200: listOf(StoreGroup), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        let query = trx
          .selectFrom("store_groups")
          .leftJoin("org_units", (j) =>
            j
              .onRef("org_units.tenant_id", "=", "store_groups.tenant_id")
              .onRef("org_units.id", "=", "store_groups.org_unit_id"),
          )
          .selectAll("store_groups")
          .where("store_groups.tenant_id", "=", actor.tenantId)
          .orderBy("store_groups.id")
          .limit(limit + 1);
        if (actor.orgUnitPath)
          query = query.where("org_units.path", "like", subtreePattern(actor.orgUnitPath));
        if (q.store_id)
          query = query.where(sql<boolean>`store_groups.store_ids @> ${JSON.stringify([q.store_id])}::jsonb`);
        if (q.starting_after) query = query.where("store_groups.id", ">", q.starting_after);
        return query.execute();
      });
      return toPage(rows as StoreGroupRow[], limit, serializeGroup);
    },
  );

  app.get(
    "/v1/store-groups/:id",
    {
      config: { permission: "org.read" },
      schema: {
        tags: ["organisation"],
        summary: "Get a store group",
        params: unitParams,
        response: { 200: StoreGroup, ...errorResponses() },
      },
    },
    async (request) =>
      serializeGroup(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          groupInScope(trx, request.actor, request.params.id),
        ),
      ),
  );

  app.patch(
    "/v1/store-groups/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags: ["organisation"],
        summary: "Rename a store group or replace its stores",
        params: unitParams,
        body: Obj(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            store_ids: Type.Optional(StoreIds),
          },
          { minProperties: 1 },
        ),
        response: { 200: StoreGroup, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      const body = request.body;
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const before = await groupInScope(trx, actor, request.params.id, true);
        if (body.store_ids) {
          const owner = before.org_unit_id ? await orgUnitInScope(trx, actor, before.org_unit_id) : null;
          await assertStores(trx, actor, owner, body.store_ids);
        }
        const after = await trx
          .updateTable("store_groups")
          .set({
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.store_ids !== undefined ? { store_ids: JSON.stringify(body.store_ids) } : {}),
            updated_at: clock.now(),
          })
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(trx, actor, request.id, {
          action: "store_group.updated",
          targetType: "store_group",
          targetId: before.id,
          summary: changeSummary(before, after as StoreGroupRow, ["name", "store_ids"]),
        });
        return after as StoreGroupRow;
      });
      return serializeGroup(row);
    },
  );

  app.delete(
    "/v1/store-groups/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags: ["organisation"],
        summary: "Delete a store group",
        params: unitParams,
        response: { 204: Type.Null(), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      await db
        .tenantTx(actor.tenantId, async (trx) => {
          const group = await groupInScope(trx, actor, request.params.id, true);
          await trx
            .deleteFrom("store_groups")
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", group.id)
            .execute();
          await audit(trx, actor, request.id, {
            action: "store_group.deleted",
            targetType: "store_group",
            targetId: group.id,
            summary: {
              before: { name: group.name, org_unit_id: group.org_unit_id, store_ids: group.store_ids },
            },
          });
        })
        .catch((error) => {
          // Other modules (benefits, vouchers) may refer to a group by foreign key.
          if (isForeignKeyViolation(error)) {
            throw new DomainError("store_group_in_use", "Other things still refer to this store group");
          }
          throw error;
        });
      return reply.status(204).send(null);
    },
  );
}

/** Org units and store groups. */
export const orgManifest: ModuleManifest = {
  name: "platform.org",
  routes: orgRoutes,
  permissions: { "org.read": ALL_STAFF, "org.manage": MANAGERS },
  errors: ORG_ERRORS,
};
