import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { MAX_LIMIT as MAX_PAGE, pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { tenantZone } from "../../platform/tenants.js";
import { adjustQuota } from "./adjust-quota.js";
import { createTemplate, templateInputOf } from "./create-template.js";
import { issueVouchers } from "./issue-vouchers.js";
import type { VoucherListRow } from "./list-vouchers.js";
import { memberVoucherRoutes } from "./member-vouchers.routes.js";
import { archiveTemplate, updateTemplate } from "./update-template.js";
import { voucherUsageRoutes } from "./voucher-usage.routes.js";
import { listQuotaChanges, listTemplates, quotasOf, quotasQuery, unitBalance } from "./voucher-views.js";
import { loadTemplate, templateQuery, visibleTemplate } from "./vouchers.repository.js";
import {
  CopyBody,
  IdParams,
  IssueBody,
  Quota,
  QuotaAdjustmentBody,
  QuotaChange,
  scopeOf,
  serializeQuota,
  serializeTemplate,
  serializeVoucher,
  TemplateBody,
  TemplatePatchBody,
  TemplateQuery,
  templatePatchOf,
  Voucher,
  VoucherTemplate,
  validityOf,
} from "./vouchers.schemas.js";

/** Templates, quotas and issuing; vouchers, usage and bills in voucher-usage.routes.ts. */
export async function vouchersRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["vouchers"];

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/voucher-templates",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags,
      summary: "Create a voucher template",
      description:
        "A reseller's templates issue customer_discount vouchers from its quota; a distributor's issue product_trial vouchers. Callers bound to the owning unit may omit owner_id.",
      body: TemplateBody,
      response: { 201: VoucherTemplate, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ body }) => ({
      ownerId: body.owner_id ?? null,
      name: body.name,
      purpose: body.purpose ?? "customer_discount",
      faceAmount: body.face_value.amount,
      asset: body.face_value.asset,
      validity: validityOf(body.validity),
      scope: scopeOf(body.scope),
      minBillAmount: body.min_bill_amount ?? 0,
      note: body.note ?? null,
    }),
    op: (uow, ctx, input, now) => createTemplate(uow.trx, ctx, input, now),
    respond: serializeTemplate,
  });

  app.get(
    "/v1/voucher-templates",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags,
        summary: "List and search voucher templates",
        querystring: TemplateQuery,
        response: { 200: listOf(VoucherTemplate), ...errorResponses() },
      },
    },
    async ({ actor, query }) => listTemplates(db, actor, query),
  );

  app.get(
    "/v1/voucher-templates/:id",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags,
        summary: "Get a voucher template",
        params: IdParams,
        response: { 200: VoucherTemplate, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      serializeTemplate(
        visibleTemplate(
          actor,
          (await db.tenantQuery(actor.tenantId, templateQuery(db.kysely, actor.tenantId, params.id)))[0],
        ),
      ),
  );

  app.patch(
    "/v1/voucher-templates/:id",
    {
      config: { permission: "vouchers.manage" },
      schema: {
        tags,
        summary: "Edit a voucher template that has not issued any voucher",
        description:
          "Once a voucher has been issued from the template, every edit fails with template_in_use.",
        params: IdParams,
        body: TemplatePatchBody,
        response: { 200: VoucherTemplate, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const patch = templatePatchOf(request.body);
      const row = await db.tenantTx(request.actor.tenantId, (trx) =>
        updateTemplate(trx, contextOf(request), request.params.id, patch, clock.now()),
      );
      return serializeTemplate(row);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/voucher-templates/:id/copy",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags,
      summary: "Copy a template (in use or not) into a new, editable template",
      params: IdParams,
      body: CopyBody,
      response: { 201: VoucherTemplate, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ params, body }) => ({ templateId: params.id, name: body?.name }),
    op: async ({ trx }, ctx, input, now) => {
      const source = await loadTemplate(trx, ctx.actor, input.templateId);
      const name = input.name ?? `${source.name} (copy)`.slice(0, 100);
      return createTemplate(trx, ctx, { ...templateInputOf(source), name }, now, source.id);
    },
    respond: serializeTemplate,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/voucher-templates/:id/archive",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags,
      summary: "Archive a template: it issues no more vouchers (issued ones are unaffected)",
      params: IdParams,
      response: { 200: VoucherTemplate, ...errorResponses(409, 422) },
    },
    status: 200,
    batched: false,
    input: ({ params }) => params.id,
    op: ({ trx }, ctx, templateId, now) => archiveTemplate(trx, ctx, templateId, now),
    respond: serializeTemplate,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/voucher-quotas/adjustments",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags,
      summary: "Raise or lower a reseller's voucher quota (distributor)",
      description:
        "delta > 0 raises, delta < 0 lowers. The quota can never go below what is issued and outstanding (quota_below_outstanding).",
      body: QuotaAdjustmentBody,
      response: { 200: Quota, ...errorResponses(409, 422, 503) },
    },
    status: 200,
    input: ({ body }) => ({
      resellerId: body.reseller_id,
      asset: body.asset,
      delta: body.delta,
      reason: body.reason,
    }),
    op: async (uow, ctx, input, now) => {
      const { quota } = await adjustQuota(uow, ctx, input, now);
      const [row] = await quotasOf(uow.trx, ctx.actor, { id: quota.id });
      return { ...row!, available: await unitBalance(uow, quota.account_id) };
    },
    respond: serializeQuota,
  });

  app.get(
    "/v1/voucher-quotas",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags,
        summary: "Voucher quotas of the resellers in the caller's scope",
        querystring: Obj({
          ...ListQuery,
          // A full page unless asked otherwise: the list had no cursor and answered up to 100.
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE })),
          reseller_id: Type.Optional(IdParam),
        }),
        response: { 200: listOf(Quota), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      const limit = pageLimit(query.limit ?? MAX_PAGE);
      const rows = await db.tenantQuery(
        actor.tenantId,
        quotasQuery(
          db.kysely,
          actor,
          { resellerId: query.reseller_id },
          { limit: limit + 1, startingAfter: query.starting_after },
        ),
      );
      return toPage(rows, limit, serializeQuota);
    },
  );

  app.get(
    "/v1/voucher-quotas/:id/changes",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags,
        summary: "A quota's history: who changed it, when, by how much and why",
        params: IdParams,
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(QuotaChange), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => listQuotaChanges(db, actor, params.id, query),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/voucher-templates/:id/issue",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags,
      summary: "Issue vouchers from a template to up to 100 customers (all or none)",
      description:
        "Each voucher's amount defaults to the template's face amount. customer_discount vouchers draw on the reseller's quota (quota_exceeded past it); they are usable at once, without approval.",
      params: IdParams,
      body: IssueBody,
      response: { 201: listOf(Voucher), ...errorResponses(409, 422, 503) },
    },
    status: 201,
    input: ({ params, body }) => ({
      templateId: params.id,
      recipients: body.recipients.map((r) => ({ customerId: r.customer_id, amount: r.amount })),
    }),
    op: async (uow, ctx, input, now) =>
      issueVouchers(uow, ctx, { ...input, timezone: await tenantZone(uow.trx, ctx.actor.tenantId) }, now),
    respond: (rows) => ({
      object: "list" as const,
      data: rows.map((row) =>
        serializeVoucher({ ...row, balance: row.face_amount, status: "unused" } as VoucherListRow),
      ),
      has_more: false,
    }),
  });

  voucherUsageRoutes(app, deps);
  memberVoucherRoutes(app, deps);
}
