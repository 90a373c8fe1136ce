import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { defineErrors } from "../../shared/errors.js";
import { forgetCachedKeys } from "../auth/api-keys.js";
import { ALL_STAFF, MANAGERS } from "../auth/permissions.js";
import { tenantPage } from "../http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj } from "../http/schemas.js";
import { contextOf, valueRoute } from "../http/value-route.js";
import {
  assertMetadataSize,
  IdParams,
  OrgUnit,
  OrgUnitBody,
  OrgUnitPatch,
  OrgUnitQuery,
  StoreGroup,
  StoreGroupBody,
  StoreGroupPatch,
  type StoreGroupRow,
  serializeGroup,
  serializeUnit,
} from "./org.schemas.js";
import { createOrgUnit, deleteOrgUnit, moveUnit, updateOrgUnit } from "./org-unit-changes.js";
import { ORG_UNIT_ERRORS, orgUnitQuery, scopedOrgUnit } from "./org-units.js";
import { listOrgUnits, STORE_GROUP_ORDER, storeGroupsQuery } from "./org-views.js";
import {
  assertMayOwnGroup,
  createStoreGroup,
  deleteStoreGroup,
  groupQuery,
  scopedGroup,
  updateStoreGroup,
} from "./store-groups.js";

export { MAX_STORES_PER_GROUP } from "./org.schemas.js";

export const ORG_ERRORS = defineErrors({ ...ORG_UNIT_ERRORS.statuses, store_group_in_use: 409 });

/** The organisation tree (org units) and store groups. */
export async function orgRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["organisation"];

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/org-units",
    config: { permission: "org.manage", idempotent: true },
    schema: {
      tags,
      summary: "Create an org unit under a parent",
      body: OrgUnitBody,
      response: { 201: OrgUnit, ...errorResponses(409, 422) },
    },
    status: 201,
    // Tree-wide locks, no value moved: its own transaction, not the ledger's group commit.
    batched: false,
    guard: ({ body }) => assertMetadataSize(body.metadata),
    input: ({ body }) => body,
    op: ({ trx }, ctx, input, now) => createOrgUnit(trx, ctx, input, now),
    respond: serializeUnit,
  });

  app.get(
    "/v1/org-units",
    {
      config: { permission: "org.read" },
      schema: {
        tags,
        summary: "List org units: children of a parent, a whole subtree, or everything in scope",
        description:
          "`parent_id`: the unit's direct children. `subtree_of`: the unit and everything below it.",
        querystring: OrgUnitQuery,
        response: { 200: listOf(OrgUnit), ...errorResponses() },
      },
    },
    async ({ actor, query }) => listOrgUnits(db, actor, query),
  );

  app.get(
    "/v1/org-units/:id",
    {
      config: { permission: "org.read" },
      schema: {
        tags,
        summary: "Get an org unit",
        params: IdParams,
        response: { 200: OrgUnit, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const [unit] = await db.tenantQuery(actor.tenantId, orgUnitQuery(db.kysely, actor.tenantId, params.id));
      return serializeUnit(scopedOrgUnit(unit, actor));
    },
  );

  app.patch(
    "/v1/org-units/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags,
        summary: "Rename an org unit or change its code or metadata",
        params: IdParams,
        body: OrgUnitPatch,
        response: { 200: OrgUnit, ...errorResponses(409) },
      },
    },
    async (request) => {
      assertMetadataSize(request.body.metadata);
      const input = { id: request.params.id, ...request.body };
      return serializeUnit(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          updateOrgUnit(trx, contextOf(request), input, clock.now()),
        ),
      );
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/org-units/:id/move",
    config: { permission: "org.manage", idempotent: true },
    schema: {
      tags,
      summary: "Move an org unit (with its whole subtree) under another parent",
      description:
        "Refuses the root, any move under the unit's own subtree, a move that takes a store out of the org unit of a store group holding it, and a move that gives a reseller another distributor while its voucher quota (or a live voucher issued from it) holds value its distributor funded, one that takes the holder of a live voucher (a customer, or a member of a moved unit) out of its issuer's subtree, and one that takes a member account out of the enterprise master it is associated with (`org_unit_in_use`).",
      params: IdParams,
      body: Obj({ parent_id: IdParam }),
      response: { 200: OrgUnit, ...errorResponses(409, 422) },
    },
    status: 200,
    batched: false,
    input: ({ params, body }) => ({ id: params.id, parentId: body.parent_id }),
    op: ({ trx }, ctx, input, now) => moveUnit(trx, ctx, input, now),
    respond: serializeUnit,
    // A cached API key carries the path of the unit it is bound to, which a move changes: the
    // key of a moved unit would see nothing of its own subtree until its entry went stale.
    after: async () => forgetCachedKeys(),
  });

  app.delete(
    "/v1/org-units/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags,
        summary: "Delete an org unit that nothing refers to (no children, users, keys, groups, …)",
        description:
          "Refused with 409 org_unit_in_use, naming what refers to it, while anything does: children, members, users or keys, a store group, or the store scope of a plan, package or gift card plan not archived, or of a gift card that may still be used.",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      await db.tenantTx(request.actor.tenantId, (trx) =>
        deleteOrgUnit(trx, contextOf(request), request.params.id, clock.now()),
      );
      return reply.status(204).send(null);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/store-groups",
    config: { permission: "org.manage", idempotent: true },
    schema: {
      tags,
      summary: "Create a store group (a named set of stores)",
      description:
        "Every id must be a store inside the group's org unit (default: the caller's own unit) and the caller's scope.",
      body: StoreGroupBody,
      response: { 201: StoreGroup, ...errorResponses(422) },
    },
    status: 201,
    batched: false,
    guard: ({ actor, body }) => assertMayOwnGroup(actor, body.org_unit_id),
    input: ({ body }) => body,
    op: ({ trx }, ctx, input, now) => createStoreGroup(trx, ctx, input, now),
    respond: serializeGroup,
  });

  app.get(
    "/v1/store-groups",
    {
      config: { permission: "org.read" },
      schema: {
        tags,
        summary: "List store groups",
        querystring: Obj({ ...ListQuery, store_id: Type.Optional(IdParam) }),
        response: { 200: listOf(StoreGroup), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      return tenantPage(
        db,
        actor.tenantId,
        storeGroupsQuery(db.kysely, actor, query),
        query,
        (row) => serializeGroup(row as StoreGroupRow),
        STORE_GROUP_ORDER,
      );
    },
  );

  app.get(
    "/v1/store-groups/:id",
    {
      config: { permission: "org.read" },
      schema: {
        tags,
        summary: "Get a store group",
        params: IdParams,
        response: { 200: StoreGroup, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const [group] = await db.tenantQuery(actor.tenantId, groupQuery(db.kysely, actor.tenantId, params.id));
      return serializeGroup(scopedGroup(group, actor));
    },
  );

  app.patch(
    "/v1/store-groups/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags,
        summary: "Rename a store group or replace its stores",
        params: IdParams,
        body: StoreGroupPatch,
        response: { 200: StoreGroup, ...errorResponses(422) },
      },
    },
    async (request) => {
      const input = { id: request.params.id, ...request.body };
      return serializeGroup(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          updateStoreGroup(trx, contextOf(request), input, clock.now()),
        ),
      );
    },
  );

  app.delete(
    "/v1/store-groups/:id",
    {
      config: { permission: "org.manage" },
      schema: {
        tags,
        summary: "Delete a store group",
        description:
          "Refused with 409 store_group_in_use, naming it, while the store scope of a plan, package or gift card plan not archived, or of a gift card that may still be used, names the group.",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      await db.tenantTx(request.actor.tenantId, (trx) =>
        deleteStoreGroup(trx, contextOf(request), request.params.id, clock.now()),
      );
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
