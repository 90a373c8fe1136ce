import type { Compilable, QueryCreator } from "kysely";
import { type TSchema, Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { contextOf, type Operation, valueRoute } from "../../platform/http/value-route.js";
import type { CatalogErrorCode } from "./catalog.errors.js";
import {
  CATALOG_STATUSES,
  type CatalogPage,
  requireTemplate,
  requireVoucherPackage,
  templateQuery,
  templatesQuery,
  voucherPackageQuery,
  voucherPackagesQuery,
} from "./catalog.repository.js";
import {
  GiftVoucherPackage,
  GiftVoucherTemplate,
  serializeTemplate,
  serializeVoucherPackage,
  TemplateBody,
  TemplatePatch,
  VoucherPackageBody,
  VoucherPackagePatch,
} from "./catalog.schemas.js";
import { createGiftTemplate } from "./create-gift-template.js";
import { createVoucherPackage } from "./create-voucher-package.js";
import { assertTenantWide } from "./tenant-wide.js";
import { updateGiftTemplate } from "./update-gift-template.js";
import { updateVoucherPackage } from "./update-voucher-package.js";

/** One catalog resource's create / list / get / edit routes; each handler calls one operation. */
interface Resource<Row> {
  path: string;
  /** `GiftVoucherTemplate` → operation ids createGiftVoucherTemplate, listGiftVoucherTemplates, … */
  noun: string;
  what: string;
  schema: TSchema;
  createBody: TSchema;
  patchBody: TSchema;
  createSummary: string;
  patchSummary: string;
  /** The code a missing row answers with; the create's refusals come on top of the scoped actor's. */
  notFound: CatalogErrorCode;
  createErrors: CatalogErrorCode[];
  serialize(row: Row): unknown;
  create: Operation<never, Row>;
  update(trx: Tx, context: RequestContext, input: { id: string; patch: never }, now: Date): Promise<Row>;
  byIdQuery(qc: QueryCreator<DB>, tenantId: string, id: string): Compilable<Row>;
  /** The row, or the resource's not-found error. */
  required(row: Row | undefined, id: string): Row;
  pageQuery(qc: QueryCreator<DB>, tenantId: string, page: CatalogPage): Compilable<Row>;
}

function resourceRoutes<Row>(app: RouteApp, deps: AppDeps, r: Resource<Row>): void {
  const { db, clock } = deps;
  const tags = ["catalog"];
  const ById = Obj({ id: IdParam });

  valueRoute(app, deps, {
    method: "POST",
    url: r.path,
    config: {
      permission: "catalog.manage",
      idempotent: true,
      errors: ["catalog_scoped_actor", ...r.createErrors],
    },
    schema: {
      operationId: `create${r.noun}`,
      tags,
      summary: r.createSummary,
      body: r.createBody,
      response: { 201: r.schema, ...errorResponses(422) },
    },
    status: 201,
    input: ({ body }, ctx) => {
      assertTenantWide(ctx.actor);
      return body as never;
    },
    op: r.create,
    respond: r.serialize,
  });

  app.get(
    r.path,
    {
      config: { permission: "catalog.read" },
      schema: {
        operationId: `list${r.noun}s`,
        tags,
        summary: `List ${r.what}s`,
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(CATALOG_STATUSES)) }),
        response: { 200: listOf(r.schema), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query as { limit?: number; starting_after?: string; status?: "active" | "archived" };
      const limit = pageLimit(q.limit);
      const rows = await db.tenantQuery(
        request.actor.tenantId,
        r.pageQuery(db.kysely, request.actor.tenantId, {
          status: q.status,
          startingAfter: q.starting_after,
          limit,
        }),
      );
      return toPage(rows, limit, r.serialize);
    },
  );

  app.get(
    `${r.path}/:id`,
    {
      config: { permission: "catalog.read", errors: [r.notFound] },
      schema: {
        operationId: `get${r.noun}`,
        tags,
        summary: `Get a ${r.what}`,
        params: ById,
        response: { 200: r.schema, ...errorResponses() },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const [row] = await db.tenantQuery(
        request.actor.tenantId,
        r.byIdQuery(db.kysely, request.actor.tenantId, id),
      );
      return r.serialize(r.required(row, id));
    },
  );

  app.patch(
    `${r.path}/:id`,
    {
      config: {
        permission: "catalog.manage",
        errors: ["catalog_scoped_actor", r.notFound, ...r.createErrors],
      },
      schema: {
        operationId: `update${r.noun}`,
        tags,
        summary: r.patchSummary,
        params: ById,
        body: r.patchBody,
        response: { 200: r.schema, ...errorResponses(422) },
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      assertTenantWide(ctx.actor);
      const input = { id: (request.params as { id: string }).id, patch: request.body as never };
      return r.serialize(
        await db.tenantTx(ctx.actor.tenantId, (trx) => r.update(trx, ctx, input, clock.now())),
      );
    },
  );
}

/** Member voucher templates and voucher packages: what plans give as gifts. */
export function giftRoutes(app: RouteApp, deps: AppDeps): void {
  resourceRoutes(app, deps, {
    path: "/v1/gift-voucher-templates",
    noun: "GiftVoucherTemplate",
    what: "member voucher template",
    schema: GiftVoucherTemplate,
    createBody: TemplateBody,
    patchBody: TemplatePatch,
    createSummary:
      "Create a member voucher template (face amount in the balance asset, validity, product scope, minimum spend)",
    patchSummary: "Edit or archive a template: vouchers already given keep their terms",
    notFound: "gift_voucher_template_not_found",
    createErrors: [],
    serialize: serializeTemplate,
    create: createGiftTemplate,
    update: updateGiftTemplate,
    byIdQuery: templateQuery,
    required: requireTemplate,
    pageQuery: templatesQuery,
  });
  resourceRoutes(app, deps, {
    path: "/v1/gift-voucher-packages",
    noun: "GiftVoucherPackage",
    what: "voucher package",
    schema: GiftVoucherPackage,
    createBody: VoucherPackageBody,
    patchBody: VoucherPackagePatch,
    createSummary:
      "Create a voucher package: 1-20 lines of template × quantity (1-100), at most 100 vouchers",
    patchSummary: "Edit or archive a voucher package: gifts already given stay as they were",
    notFound: "gift_voucher_package_not_found",
    createErrors: ["invalid_gift"],
    serialize: serializeVoucherPackage,
    create: createVoucherPackage,
    update: updateVoucherPackage,
    byIdQuery: voucherPackageQuery,
    required: requireVoucherPackage,
    pageQuery: voucherPackagesQuery,
  });
}
