import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import {
  AGREEMENT_TYPES,
  agreementQuery,
  agreementsQuery,
  agreementVersionQuery,
  CATALOG_STATUSES,
  requireAgreement,
  requireAgreementVersion,
} from "./catalog.repository.js";
import {
  Agreement,
  AgreementBody,
  AgreementPatch,
  AgreementVersion,
  serializeAgreement,
  serializeAgreementVersion,
} from "./catalog.schemas.js";
import { createAgreement } from "./create-agreement.js";
import { assertTenantWide } from "./tenant-wide.js";
import { updateAgreement } from "./update-agreement.js";

/** The agreement library: purchase agreements, terms of use, FAQs, top-up agreements, gift card terms. */
export function agreementRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["catalog"];

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/agreements",
    config: { permission: "catalog.manage", idempotent: true, errors: ["catalog_scoped_actor"] },
    schema: {
      operationId: "createAgreement",
      tags,
      summary: "Add an agreement to the library (version 1)",
      body: AgreementBody,
      response: { 201: Agreement, ...errorResponses(422) },
    },
    status: 201,
    input: ({ body }, ctx) => {
      assertTenantWide(ctx.actor);
      return body;
    },
    op: createAgreement,
    respond: serializeAgreement,
  });

  app.get(
    "/v1/agreements",
    {
      config: { permission: "catalog.read" },
      schema: {
        operationId: "listAgreements",
        tags,
        summary: "List agreements (current versions) by type and status",
        querystring: Obj({
          ...ListQuery,
          type: Type.Optional(StringEnum(AGREEMENT_TYPES)),
          status: Type.Optional(StringEnum(CATALOG_STATUSES)),
        }),
        response: { 200: listOf(Agreement), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantQuery(
        request.actor.tenantId,
        agreementsQuery(db.kysely, request.actor.tenantId, {
          type: q.type,
          status: q.status,
          startingAfter: q.starting_after,
          limit,
        }),
      );
      return toPage(rows, limit, serializeAgreement);
    },
  );

  app.get(
    "/v1/agreements/:id",
    {
      config: { permission: "catalog.read", member: true, errors: ["agreement_not_found"] },
      schema: {
        operationId: "getAgreement",
        tags,
        summary: "Get an agreement's current version (members read it before they accept)",
        params: Obj({ id: IdParam }),
        response: { 200: Agreement, ...errorResponses() },
      },
    },
    async (request) => {
      const [row] = await db.tenantQuery(
        request.actor.tenantId,
        agreementQuery(db.kysely, request.actor.tenantId, request.params.id),
      );
      return serializeAgreement(requireAgreement(row));
    },
  );

  app.get(
    "/v1/agreements/:id/versions/:version",
    {
      config: { permission: "catalog.read", member: true, errors: ["agreement_not_found"] },
      schema: {
        operationId: "getAgreementVersion",
        tags,
        summary: "Get one version of an agreement (what a sale's buyer accepted)",
        params: Obj({ id: IdParam, version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }),
        response: { 200: AgreementVersion, ...errorResponses() },
      },
    },
    async (request) => {
      const { id, version } = request.params;
      const [row] = await db.tenantQuery(
        request.actor.tenantId,
        agreementVersionQuery(db.kysely, request.actor.tenantId, id, version),
      );
      return serializeAgreementVersion(requireAgreementVersion(row));
    },
  );

  app.patch(
    "/v1/agreements/:id",
    {
      config: { permission: "catalog.manage", errors: ["catalog_scoped_actor", "agreement_not_found"] },
      schema: {
        operationId: "updateAgreement",
        tags,
        summary: "Change an agreement: new text is a new version; status alone keeps the version",
        params: Obj({ id: IdParam }),
        body: AgreementPatch,
        response: { 200: Agreement, ...errorResponses(422) },
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      assertTenantWide(ctx.actor);
      const input = { id: request.params.id, patch: request.body };
      return serializeAgreement(
        await db.tenantTx(ctx.actor.tenantId, (trx) => updateAgreement(trx, ctx, input, clock.now())),
      );
    },
  );
}
