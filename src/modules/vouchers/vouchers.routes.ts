import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { ALL_STAFF, definePermissions, OPERATORS } from "../../platform/auth/permissions.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Money,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import { createTemplate, type TemplateInput, templateInputOf } from "./create-template.js";
import { archiveTemplate, type TemplatePatch, updateTemplate } from "./update-template.js";
import { MAX_PRODUCT_CODES, MAX_VALID_DAYS } from "./voucher-rules.js";
import {
  loadTemplate,
  PURPOSES,
  SCOPE_KINDS,
  subtreePattern,
  TEMPLATE_STATUSES,
  type TemplateRow,
  VALIDITY_KINDS,
} from "./vouchers.repository.js";
import "./vouchers.errors.js";

definePermissions({
  "vouchers.read": ALL_STAFF,
  "vouchers.manage": OPERATORS,
});

const ProductCode = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });
const DateOnly = Type.String({ format: "date", examples: ["2026-12-31"] });
const NonNegativeAmount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

const ValidityIn = Obj(
  {
    kind: StringEnum(VALIDITY_KINDS, {
      description: "fixed: calendar dates (inclusive, tenant time zone); relative: N days from issue",
    }),
    valid_from: Type.Optional(DateOnly),
    valid_until: Type.Optional(DateOnly),
    valid_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VALID_DAYS })),
  },
  { description: "Validity of the vouchers issued from the template" },
);
const ScopeIn = Obj({
  kind: StringEnum(SCOPE_KINDS, {
    description: "all products / only the listed products (allow) / all but the listed products (deny)",
  }),
  product_codes: Type.Optional(Type.Array(ProductCode, { maxItems: MAX_PRODUCT_CODES, uniqueItems: true })),
});

const Validity = Type.Object({
  kind: StringEnum(VALIDITY_KINDS),
  valid_from: Type.Union([Type.String(), Type.Null()]),
  valid_until: Type.Union([Type.String(), Type.Null()]),
  valid_days: Type.Union([Type.Integer(), Type.Null()]),
});
const Scope = Type.Object({ kind: StringEnum(SCOPE_KINDS), product_codes: Type.Array(Type.String()) });

export const VoucherTemplate = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("voucher_template"),
    owner_id: Type.String({ description: "The reseller (customer_discount) or distributor (product_trial)" }),
    name: Type.String(),
    purpose: StringEnum(PURPOSES),
    face_value: Type.Object({ amount: Type.Integer(), asset: Type.String() }),
    validity: Validity,
    scope: Scope,
    min_bill_amount: Type.Integer({ description: "A bill below this total is not offset (0: no minimum)" }),
    note: Type.Union([Type.String(), Type.Null()]),
    status: StringEnum(TEMPLATE_STATUSES),
    in_use: Type.Boolean({ description: "Vouchers have been issued from it: it can no longer be edited" }),
    issued_count: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "VoucherTemplate" },
);

export function serializeTemplate(row: TemplateRow) {
  return {
    id: row.id,
    object: "voucher_template" as const,
    owner_id: row.owner_id,
    name: row.name,
    purpose: row.purpose,
    face_value: { amount: row.face_amount, asset: row.asset },
    validity: {
      kind: row.validity_kind,
      valid_from: row.valid_from,
      valid_until: row.valid_until,
      valid_days: row.valid_days,
    },
    scope: { kind: row.scope_kind, product_codes: row.product_codes },
    min_bill_amount: row.min_bill_amount,
    note: row.note,
    status: row.status,
    in_use: row.issued_count > 0,
    issued_count: row.issued_count,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

interface ValidityBody {
  kind: "fixed" | "relative";
  valid_from?: string;
  valid_until?: string;
  valid_days?: number;
}
interface ScopeBody {
  kind: "all" | "allow" | "deny";
  product_codes?: string[];
}

const validityOf = (v: ValidityBody) => ({
  kind: v.kind,
  validFrom: v.valid_from ?? null,
  validUntil: v.valid_until ?? null,
  validDays: v.valid_days ?? null,
});
const scopeOf = (s: ScopeBody) => ({ kind: s.kind, productCodes: s.product_codes ?? [] });

export async function vouchersRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;

  app.post(
    "/v1/voucher-templates",
    {
      config: { permission: "vouchers.manage", idempotent: true },
      schema: {
        tags: ["vouchers"],
        summary: "Create a voucher template",
        description:
          "A reseller's templates issue customer_discount vouchers from its quota; a distributor's issue product_trial vouchers. Callers bound to the owning unit may omit owner_id.",
        body: Obj({
          owner_id: Type.Optional(IdParam),
          name: Type.String({ minLength: 1, maxLength: 100 }),
          purpose: Type.Optional(StringEnum(PURPOSES, { default: "customer_discount" })),
          face_value: Money,
          validity: ValidityIn,
          scope: ScopeIn,
          min_bill_amount: Type.Optional(NonNegativeAmount),
          note: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: { 201: VoucherTemplate, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const input: TemplateInput = {
        ownerId: body.owner_id ?? null,
        name: body.name,
        purpose: body.purpose ?? "customer_discount",
        faceAmount: body.face_value.amount,
        asset: body.face_value.asset,
        validity: validityOf(body.validity),
        scope: scopeOf(body.scope),
        minBillAmount: body.min_bill_amount ?? 0,
        note: body.note ?? null,
      };
      const context = { actor: request.actor, requestId: request.id };
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(request.actor.tenantId, async (trx) => {
          const row = await createTemplate(trx, context, input, clock.now());
          return record(trx, 201, serializeTemplate(row));
        }),
      );
    },
  );

  app.get(
    "/v1/voucher-templates",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags: ["vouchers"],
        summary: "List and search voucher templates",
        querystring: Obj({
          ...ListQuery,
          name: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: "Contains, any case" }),
          ),
          purpose: Type.Optional(StringEnum(PURPOSES)),
          scope_kind: Type.Optional(StringEnum(SCOPE_KINDS)),
          status: Type.Optional(StringEnum(TEMPLATE_STATUSES)),
          in_use: Type.Optional(Type.Boolean()),
          owner_id: Type.Optional(IdParam),
          created_from: Type.Optional(Timestamp),
          created_to: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(VoucherTemplate), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        let query = trx
          .selectFrom("voucher_templates as t")
          .innerJoin("org_units as o", (j) =>
            j.onRef("o.tenant_id", "=", "t.tenant_id").onRef("o.id", "=", "t.owner_id"),
          )
          .selectAll("t")
          .where("t.tenant_id", "=", actor.tenantId)
          .orderBy("t.id")
          .limit(limit + 1);
        if (actor.orgUnitPath) query = query.where("o.path", "like", subtreePattern(actor.orgUnitPath));
        if (q.starting_after) query = query.where("t.id", ">", q.starting_after);
        if (q.name) query = query.where("t.name", "ilike", `%${q.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        if (q.purpose) query = query.where("t.purpose", "=", q.purpose);
        if (q.scope_kind) query = query.where("t.scope_kind", "=", q.scope_kind);
        if (q.status) query = query.where("t.status", "=", q.status);
        if (q.in_use !== undefined) query = query.where("t.issued_count", q.in_use ? ">" : "=", 0);
        if (q.owner_id) query = query.where("t.owner_id", "=", q.owner_id);
        if (q.created_from) query = query.where("t.created_at", ">=", new Date(q.created_from));
        if (q.created_to) query = query.where("t.created_at", "<", new Date(q.created_to));
        return query.execute();
      });
      return toPage(rows, limit, serializeTemplate);
    },
  );

  app.get(
    "/v1/voucher-templates/:id",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags: ["vouchers"],
        summary: "Get a voucher template",
        params: Obj({ id: IdParam }),
        response: { 200: VoucherTemplate, ...errorResponses() },
      },
    },
    async (request) =>
      serializeTemplate(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          loadTemplate(trx, request.actor, request.params.id),
        ),
      ),
  );

  app.patch(
    "/v1/voucher-templates/:id",
    {
      config: { permission: "vouchers.manage" },
      schema: {
        tags: ["vouchers"],
        summary: "Edit a voucher template that has not issued any voucher",
        description:
          "Once a voucher has been issued from the template, every edit fails with template_in_use.",
        params: Obj({ id: IdParam }),
        body: Obj(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            face_value: Type.Optional(Money),
            validity: Type.Optional(ValidityIn),
            scope: Type.Optional(ScopeIn),
            min_bill_amount: Type.Optional(NonNegativeAmount),
            note: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
          },
          { minProperties: 1 },
        ),
        response: { 200: VoucherTemplate, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const body = request.body;
      const patch: TemplatePatch = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.face_value !== undefined) {
        patch.faceAmount = body.face_value.amount;
        patch.asset = body.face_value.asset;
      }
      if (body.validity !== undefined) patch.validity = validityOf(body.validity);
      if (body.scope !== undefined) patch.scope = scopeOf(body.scope);
      if (body.min_bill_amount !== undefined) patch.minBillAmount = body.min_bill_amount;
      if (body.note !== undefined) patch.note = body.note;
      const context = { actor: request.actor, requestId: request.id };
      const row = await db.tenantTx(request.actor.tenantId, (trx) =>
        updateTemplate(trx, context, request.params.id, patch, clock.now()),
      );
      return serializeTemplate(row);
    },
  );

  app.post(
    "/v1/voucher-templates/:id/copy",
    {
      config: { permission: "vouchers.manage", idempotent: true },
      schema: {
        tags: ["vouchers"],
        summary: "Copy a template (in use or not) into a new, editable template",
        params: Obj({ id: IdParam }),
        body: Type.Optional(Obj({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) })),
        response: { 201: VoucherTemplate, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const context = { actor: request.actor, requestId: request.id };
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(request.actor.tenantId, async (trx) => {
          const source = await loadTemplate(trx, request.actor, request.params.id);
          const input = templateInputOf(source);
          const name = request.body?.name ?? `${source.name} (copy)`.slice(0, 100);
          const row = await createTemplate(trx, context, { ...input, name }, clock.now(), source.id);
          return record(trx, 201, serializeTemplate(row));
        }),
      );
    },
  );

  app.post(
    "/v1/voucher-templates/:id/archive",
    {
      config: { permission: "vouchers.manage", idempotent: true },
      schema: {
        tags: ["vouchers"],
        summary: "Archive a template: it issues no more vouchers (issued ones are unaffected)",
        params: Obj({ id: IdParam }),
        response: { 200: VoucherTemplate, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const context = { actor: request.actor, requestId: request.id };
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(request.actor.tenantId, async (trx) => {
          const row = await archiveTemplate(trx, context, request.params.id, clock.now());
          return record(trx, 200, serializeTemplate(row));
        }),
      );
    },
  );
}
