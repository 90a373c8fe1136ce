import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import {
  CATALOG_STATUSES,
  findTemplate,
  findVoucherPackage,
  listTemplates,
  listVoucherPackages,
} from "./catalog.repository.js";
import { assertTenantWide } from "./catalog.routes.js";
import {
  GiftVoucherPackage,
  GiftVoucherTemplate,
  serializeTemplate,
  serializeVoucherPackage,
} from "./catalog.schemas.js";
import { createGiftTemplate } from "./create-gift-template.js";
import { createVoucherPackage } from "./create-voucher-package.js";
import { TemplatePatchSchema, TemplateTerms } from "./gift-template-terms.js";
import { updateGiftTemplate } from "./update-gift-template.js";
import { updateVoucherPackage } from "./update-voucher-package.js";
import { PackageLines } from "./voucher-package-lines.js";

const Name = Type.String({ minLength: 1, maxLength: 100 });
const StatusQuery = Obj({ ...ListQuery, status: Type.Optional(StringEnum(CATALOG_STATUSES)) });

/** Member voucher templates and voucher packages: what plans give as gifts. */
export function giftRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["catalog"];

  app.post(
    "/v1/gift-voucher-templates",
    {
      config: { permission: "catalog.manage", idempotent: true },
      schema: {
        operationId: "createGiftVoucherTemplate",
        tags,
        summary:
          "Create a member voucher template (face amount in the balance asset, validity, product scope, minimum spend)",
        body: Obj(TemplateTerms, {
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
        response: { 201: GiftVoucherTemplate, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const row = await createGiftTemplate(
            trx,
            { actor, requestId: request.id },
            request.body,
            clock.now(),
          );
          return record(trx, 201, serializeTemplate(row));
        }),
      );
    },
  );

  app.get(
    "/v1/gift-voucher-templates",
    {
      config: { permission: "catalog.read" },
      schema: {
        operationId: "listGiftVoucherTemplates",
        tags,
        summary: "List member voucher templates",
        querystring: StatusQuery,
        response: { 200: listOf(GiftVoucherTemplate), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        listTemplates(trx, request.actor.tenantId, {
          status: request.query.status,
          startingAfter: request.query.starting_after,
          limit,
        }),
      );
      return toPage(rows, limit, serializeTemplate);
    },
  );

  app.get(
    "/v1/gift-voucher-templates/:id",
    {
      config: { permission: "catalog.read" },
      schema: {
        operationId: "getGiftVoucherTemplate",
        tags,
        summary: "Get a member voucher template",
        params: Obj({ id: IdParam }),
        response: { 200: GiftVoucherTemplate, ...errorResponses() },
      },
    },
    async (request) =>
      serializeTemplate(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          findTemplate(trx, request.actor.tenantId, request.params.id),
        ),
      ),
  );

  app.patch(
    "/v1/gift-voucher-templates/:id",
    {
      config: { permission: "catalog.manage" },
      schema: {
        operationId: "updateGiftVoucherTemplate",
        tags,
        summary: "Edit or archive a template: vouchers already given keep their terms",
        params: Obj({ id: IdParam }),
        body: TemplatePatchSchema,
        response: { 200: GiftVoucherTemplate, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return serializeTemplate(
        await db.tenantTx(actor.tenantId, (trx) =>
          updateGiftTemplate(
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

  app.post(
    "/v1/gift-voucher-packages",
    {
      config: { permission: "catalog.manage", idempotent: true },
      schema: {
        operationId: "createGiftVoucherPackage",
        tags,
        summary: "Create a voucher package: 1-20 lines of template × quantity (1-100), at most 100 vouchers",
        body: Obj(
          { name: Name, lines: PackageLines },
          {
            examples: [
              {
                name: "Welcome pack",
                lines: [{ template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 3 }],
              },
            ],
          },
        ),
        response: { 201: GiftVoucherPackage, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const row = await createVoucherPackage(
            trx,
            { actor, requestId: request.id },
            request.body,
            clock.now(),
          );
          return record(trx, 201, serializeVoucherPackage(row));
        }),
      );
    },
  );

  app.get(
    "/v1/gift-voucher-packages",
    {
      config: { permission: "catalog.read" },
      schema: {
        operationId: "listGiftVoucherPackages",
        tags,
        summary: "List voucher packages",
        querystring: StatusQuery,
        response: { 200: listOf(GiftVoucherPackage), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        listVoucherPackages(trx, request.actor.tenantId, {
          status: request.query.status,
          startingAfter: request.query.starting_after,
          limit,
        }),
      );
      return toPage(rows, limit, serializeVoucherPackage);
    },
  );

  app.get(
    "/v1/gift-voucher-packages/:id",
    {
      config: { permission: "catalog.read" },
      schema: {
        operationId: "getGiftVoucherPackage",
        tags,
        summary: "Get a voucher package",
        params: Obj({ id: IdParam }),
        response: { 200: GiftVoucherPackage, ...errorResponses() },
      },
    },
    async (request) =>
      serializeVoucherPackage(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          findVoucherPackage(trx, request.actor.tenantId, request.params.id),
        ),
      ),
  );

  app.patch(
    "/v1/gift-voucher-packages/:id",
    {
      config: { permission: "catalog.manage" },
      schema: {
        operationId: "updateGiftVoucherPackage",
        tags,
        summary: "Edit or archive a voucher package: gifts already given stay as they were",
        params: Obj({ id: IdParam }),
        body: Obj(
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
        response: { 200: GiftVoucherPackage, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return serializeVoucherPackage(
        await db.tenantTx(actor.tenantId, (trx) =>
          updateVoucherPackage(
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
