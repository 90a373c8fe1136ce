import { type TSchema, Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import {
  CATALOG_STATUSES,
  type CatalogPage,
  findTemplate,
  findVoucherPackage,
  listTemplates,
  listVoucherPackages,
} from "./catalog.repository.js";
import {
  GiftVoucherPackage,
  GiftVoucherTemplate,
  serializeTemplate,
  serializeVoucherPackage,
} from "./catalog.schemas.js";
import { createGiftTemplate } from "./create-gift-template.js";
import { createVoucherPackage } from "./create-voucher-package.js";
import { TemplatePatchSchema, TemplateTerms } from "./gift-template-terms.js";
import { assertTenantWide } from "./tenant-wide.js";
import { updateGiftTemplate } from "./update-gift-template.js";
import { updateVoucherPackage } from "./update-voucher-package.js";
import { PackageLines } from "./voucher-package-lines.js";

const Name = Type.String({ minLength: 1, maxLength: 100 });

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
  serialize(row: Row): unknown;
  create(trx: Tx, context: RequestContext, body: never, now: Date): Promise<Row>;
  update(trx: Tx, context: RequestContext, id: string, body: never, now: Date): Promise<Row>;
  find(trx: Tx, tenantId: string, id: string): Promise<Row>;
  list(trx: Tx, tenantId: string, page: CatalogPage): Promise<Row[]>;
}

function resourceRoutes<Row>(app: RouteApp, deps: AppDeps, r: Resource<Row>): void {
  const { db, clock } = deps;
  const tags = ["catalog"];
  const ById = Obj({ id: IdParam });

  app.post(
    r.path,
    {
      config: { permission: "catalog.manage", idempotent: true },
      schema: {
        operationId: `create${r.noun}`,
        tags,
        summary: r.createSummary,
        body: r.createBody,
        response: { 201: r.schema, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const row = await r.create(
            trx,
            { actor, requestId: request.id },
            request.body as never,
            clock.now(),
          );
          return record(trx, 201, r.serialize(row));
        }),
      );
    },
  );

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
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        r.list(trx, request.actor.tenantId, { status: q.status, startingAfter: q.starting_after, limit }),
      );
      return toPage(rows, limit, r.serialize);
    },
  );

  app.get(
    `${r.path}/:id`,
    {
      config: { permission: "catalog.read" },
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
      return r.serialize(
        await db.tenantTx(request.actor.tenantId, (trx) => r.find(trx, request.actor.tenantId, id)),
      );
    },
  );

  app.patch(
    `${r.path}/:id`,
    {
      config: { permission: "catalog.manage" },
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
      const actor = request.actor;
      assertTenantWide(actor);
      const { id } = request.params as { id: string };
      return r.serialize(
        await db.tenantTx(actor.tenantId, (trx) =>
          r.update(trx, { actor, requestId: request.id }, id, request.body as never, clock.now()),
        ),
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
    createBody: Obj(TemplateTerms, {
      examples: [
        {
          name: "Coffee voucher",
          face_amount: 1500,
          validity: { kind: "relative", valid_days: 30 },
          scope: { kind: "allow", product_codes: ["coffee"] },
          min_spend: 0,
        },
      ],
    }),
    patchBody: TemplatePatchSchema,
    createSummary:
      "Create a member voucher template (face amount in the balance asset, validity, product scope, minimum spend)",
    patchSummary: "Edit or archive a template: vouchers already given keep their terms",
    serialize: serializeTemplate,
    create: createGiftTemplate,
    update: updateGiftTemplate,
    find: findTemplate,
    list: listTemplates,
  });
  resourceRoutes(app, deps, {
    path: "/v1/gift-voucher-packages",
    noun: "GiftVoucherPackage",
    what: "voucher package",
    schema: GiftVoucherPackage,
    createBody: Obj(
      { name: Name, lines: PackageLines },
      {
        examples: [
          { name: "Welcome pack", lines: [{ template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 3 }] },
        ],
      },
    ),
    patchBody: Obj(
      {
        name: Type.Optional(Name),
        lines: Type.Optional(PackageLines),
        status: Type.Optional(StringEnum(CATALOG_STATUSES)),
      },
      {
        minProperties: 1,
        examples: [{ lines: [{ template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 2 }] }],
      },
    ),
    createSummary:
      "Create a voucher package: 1-20 lines of template × quantity (1-100), at most 100 vouchers",
    patchSummary: "Edit or archive a voucher package: gifts already given stay as they were",
    serialize: serializeVoucherPackage,
    create: createVoucherPackage,
    update: updateVoucherPackage,
    find: findVoucherPackage,
    list: listVoucherPackages,
  });
}
