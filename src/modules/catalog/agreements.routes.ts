import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import {
  AGREEMENT_TYPES,
  CATALOG_STATUSES,
  findAgreement,
  findAgreementVersion,
  listAgreements,
} from "./catalog.repository.js";
import {
  Agreement,
  AgreementVersion,
  serializeAgreement,
  serializeAgreementVersion,
} from "./catalog.schemas.js";
import { createAgreement } from "./create-agreement.js";
import { assertTenantWide } from "./tenant-wide.js";
import { updateAgreement } from "./update-agreement.js";

const Title = Type.String({ minLength: 1, maxLength: 200 });
const Body = Type.String({
  minLength: 1,
  maxLength: 65_536,
  description: "Markdown, at most 64 KiB of UTF-8",
});
const Locale = Type.String({ pattern: "^[a-z]{2}(-[A-Z]{2})?$", examples: ["zh-CN"] });

/** The agreement library: purchase agreements, terms of use, FAQs, top-up agreements, gift card terms. */
export function agreementRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["catalog"];

  app.post(
    "/v1/agreements",
    {
      config: { permission: "catalog.manage", idempotent: true },
      schema: {
        operationId: "createAgreement",
        tags,
        summary: "Add an agreement to the library (version 1)",
        body: Obj(
          { type: StringEnum(AGREEMENT_TYPES), title: Title, body: Body, locale: Locale },
          {
            examples: [
              {
                type: "purchase_agreement",
                title: "Package purchase agreement",
                body: "# Terms\n…",
                locale: "zh-CN",
              },
            ],
          },
        ),
        response: { 201: Agreement, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const row = await createAgreement(trx, { actor, requestId: request.id }, request.body, clock.now());
          return record(trx, 201, serializeAgreement(row));
        }),
      );
    },
  );

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
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        listAgreements(trx, request.actor.tenantId, {
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
      config: { permission: "catalog.read", member: true },
      schema: {
        operationId: "getAgreement",
        tags,
        summary: "Get an agreement's current version (members read it before they accept)",
        params: Obj({ id: IdParam }),
        response: { 200: Agreement, ...errorResponses() },
      },
    },
    async (request) =>
      serializeAgreement(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          findAgreement(trx, request.actor.tenantId, request.params.id),
        ),
      ),
  );

  app.get(
    "/v1/agreements/:id/versions/:version",
    {
      config: { permission: "catalog.read", member: true },
      schema: {
        operationId: "getAgreementVersion",
        tags,
        summary: "Get one version of an agreement (what a sale's buyer accepted)",
        params: Obj({ id: IdParam, version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }),
        response: { 200: AgreementVersion, ...errorResponses() },
      },
    },
    async (request) =>
      serializeAgreementVersion(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          findAgreementVersion(trx, request.actor.tenantId, request.params.id, request.params.version),
        ),
      ),
  );

  app.patch(
    "/v1/agreements/:id",
    {
      config: { permission: "catalog.manage" },
      schema: {
        operationId: "updateAgreement",
        tags,
        summary: "Change an agreement: new text is a new version; status alone keeps the version",
        params: Obj({ id: IdParam }),
        body: Obj(
          {
            title: Type.Optional(Title),
            body: Type.Optional(Body),
            locale: Type.Optional(Locale),
            status: Type.Optional(StringEnum(CATALOG_STATUSES)),
          },
          { minProperties: 1, examples: [{ body: "# Terms (2026 edition)\n…" }] },
        ),
        response: { 200: Agreement, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return serializeAgreement(
        await db.tenantTx(actor.tenantId, (trx) =>
          updateAgreement(
            trx,
            { actor, requestId: request.id },
            request.params.id,
            request.body,
            clock.now(),
          ),
        ),
      );
    },
  );
}
