import { sql } from "kysely";
import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Actor as AppActor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { EXPORT_FORMATS, exportTable } from "../../platform/files/export-table.js";
import { MAX_LIMIT as MAX_PAGE, pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  AssetCode,
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
import { subtreePattern } from "../../platform/org/org-units.js";
import { adjustQuota } from "./adjust-quota.js";
import { Bill, serializeBill } from "./bill-view.js";
import { createTemplate, type TemplateInput, templateInputOf } from "./create-template.js";
import { deductBill, loadBillResult, MAX_BILL_LINES } from "./deduct-bill.js";
import { issueVouchers, MAX_ISSUE_RECIPIENTS } from "./issue-vouchers.js";
import { listVouchers, MAX_EXPORT_ROWS, type VoucherListRow, voucherQuery } from "./list-vouchers.js";
import { memberVoucherRoutes } from "./member-vouchers.routes.js";
import { type RefundResult, refundBill } from "./refund-bill.js";
import { archiveTemplate, type TemplatePatch, updateTemplate } from "./update-template.js";
import { MAX_PRODUCT_CODES, MAX_VALID_DAYS } from "./voucher-rules.js";
import { serializeVoucherTerms, VoucherTerms } from "./voucher-view.js";
import { VouchersError } from "./vouchers.errors.js";
import {
  loadTemplate,
  loadVoucher,
  PURPOSES,
  SCOPE_KINDS,
  TEMPLATE_STATUSES,
  type TemplateRow,
  VALIDITY_KINDS,
  VOUCHER_PURPOSES,
  VOUCHER_STATUSES,
} from "./vouchers.repository.js";
import { withdrawVoucher } from "./withdraw-voucher.js";

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
    purpose: row.purpose as (typeof PURPOSES)[number],
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
  valueRoutes(app, deps);
  memberVoucherRoutes(app, deps);
}

const Quota = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("voucher_quota"),
    reseller_id: Type.String(),
    distributor_id: Type.String(),
    asset: Type.String(),
    allocated: Type.Integer({ description: "Sum of all raises and lowerings" }),
    available: Type.Integer({
      description: "What the reseller can still issue (the quota account's balance)",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "VoucherQuota" },
);

const QuotaChange = Type.Object({
  id: Type.String(),
  object: Type.Literal("voucher_quota_change"),
  quota_id: Type.String(),
  delta: Type.Integer(),
  reason: Type.String(),
  actor_type: Type.String(),
  actor_id: Type.String(),
  created_at: Timestamp,
});

export const Voucher = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("voucher"),
    purpose: StringEnum(VOUCHER_PURPOSES),
    customer_id: Type.String(),
    issuer_id: Type.String(),
    template_id: Type.Union([Type.String(), Type.Null()]),
    ...VoucherTerms,
  },
  { $id: "Voucher" },
);

function serializeVoucher(row: VoucherListRow) {
  return {
    id: row.id,
    object: "voucher" as const,
    purpose: row.purpose,
    customer_id: row.customer_id,
    issuer_id: row.issuer_id,
    template_id: row.template_id,
    ...serializeVoucherTerms(row),
  };
}

const Refund = Type.Object({
  object: Type.Literal("voucher_bill_refund"),
  id: Type.String(),
  refund_id: Type.String(),
  bill_id: Type.String(),
  returned_amount: Type.Integer(),
  returns: Type.Array(
    Type.Object({
      voucher_id: Type.String(),
      line_index: Type.Integer(),
      amount: Type.Integer(),
      returned_to: StringEnum(["voucher", "source"] as const, {
        description: "voucher: back into the voucher; source: the voucher had expired or was withdrawn",
      }),
    }),
  ),
  created_at: Timestamp,
});

function serializeRefund(refund: RefundResult) {
  return {
    object: "voucher_bill_refund" as const,
    id: refund.refundRef,
    refund_id: refund.refundId,
    bill_id: refund.billId,
    returned_amount: refund.returnedAmount,
    returns: refund.returns.map((r) => ({
      voucher_id: r.voucherId,
      line_index: r.lineIndex,
      amount: r.amount,
      returned_to: r.returnedTo,
    })),
    created_at: refund.createdAt.toISOString(),
  };
}

const Usage = Type.Object({
  id: Type.String(),
  object: Type.Literal("voucher_usage"),
  voucher_id: Type.String(),
  kind: StringEnum(["deduction", "refund"] as const),
  bill_id: Type.String(),
  line_index: Type.Integer(),
  product_code: Type.String(),
  amount: Type.Integer(),
  returned_to: Type.Union([StringEnum(["voucher", "source"] as const), Type.Null()]),
  created_at: Timestamp,
});

const VoucherFilterQuery = {
  status: Type.Optional(StringEnum(VOUCHER_STATUSES)),
  customer_id: Type.Optional(IdParam),
  template_id: Type.Optional(IdParam),
  issuer_id: Type.Optional(IdParam),
  purpose: Type.Optional(StringEnum(VOUCHER_PURPOSES)),
  face_amount: Type.Optional(Type.Integer({ minimum: 1 })),
  issued_from: Type.Optional(Timestamp),
  issued_to: Type.Optional(Timestamp),
  expires_from: Type.Optional(Timestamp),
  expires_to: Type.Optional(Timestamp),
};

const VOUCHER_EXPORT_COLUMNS = [
  "voucher_id",
  "purpose",
  "status",
  "face_amount",
  "balance",
  "asset",
  "customer_id",
  "template_id",
  "issued_at",
  "expires_at",
];
const USAGE_EXPORT_COLUMNS = [
  "time",
  "kind",
  "bill_id",
  "line",
  "product_code",
  "amount",
  "asset",
  "returned_to",
];

function valueRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const contextOf = (request: { actor: AppActor; id: string }) => ({
    actor: request.actor,
    requestId: request.id,
  });

  async function loadQuotas(tenantId: string, actor: AppActor, filter: { id?: string; resellerId?: string }) {
    return db.tenantTx(tenantId, async (trx) => {
      let query = trx
        .selectFrom("voucher_quotas as q")
        .innerJoin("org_units as r", (j) =>
          j.onRef("r.tenant_id", "=", "q.tenant_id").onRef("r.id", "=", "q.reseller_id"),
        )
        .leftJoin("ledger_accounts as a", (j) =>
          j.onRef("a.tenant_id", "=", "q.tenant_id").onRef("a.id", "=", "q.account_id"),
        )
        .selectAll("q")
        .select((eb) => [
          sql<number>`coalesce(a.credits_posted - a.debits_posted, 0)`.as("available"),
          eb
            .selectFrom("voucher_quota_changes as c")
            .select(sql<number>`coalesce(sum(c.delta), 0)::bigint`.as("s"))
            .whereRef("c.tenant_id", "=", "q.tenant_id")
            .whereRef("c.quota_id", "=", "q.id")
            .as("allocated"),
        ])
        .where("q.tenant_id", "=", tenantId)
        .orderBy("q.id")
        .limit(MAX_PAGE + 1);
      if (actor.orgUnitPath) query = query.where("r.path", "like", subtreePattern(actor.orgUnitPath));
      if (filter.id) query = query.where("q.id", "=", filter.id);
      if (filter.resellerId) query = query.where("q.reseller_id", "=", filter.resellerId);
      return query.execute();
    });
  }
  const serializeQuota = (row: Awaited<ReturnType<typeof loadQuotas>>[number]) => ({
    id: row.id,
    object: "voucher_quota" as const,
    reseller_id: row.reseller_id,
    distributor_id: row.distributor_id,
    asset: row.asset,
    allocated: Number(row.allocated ?? 0),
    available: Number(row.available),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  });

  app.post(
    "/v1/voucher-quotas/adjustments",
    {
      config: { permission: "vouchers.manage", idempotent: true },
      schema: {
        tags: ["vouchers"],
        summary: "Raise or lower a reseller's voucher quota (distributor)",
        description:
          "delta > 0 raises, delta < 0 lowers. The quota can never go below what is issued and outstanding (quota_below_outstanding).",
        body: Obj({
          reseller_id: IdParam,
          asset: AssetCode,
          delta: Type.Integer({
            minimum: -Number.MAX_SAFE_INTEGER,
            maximum: Number.MAX_SAFE_INTEGER,
            not: { const: 0 },
          }),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
        }),
        response: { 200: Quota, ...errorResponses(409, 422, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await runIdempotent(request, reply, deps, async (record) =>
        deps.ledger.run(request.actor.tenantId, async (uow) => {
          const { quota } = await adjustQuota(
            uow,
            contextOf(request),
            { resellerId: body.reseller_id, asset: body.asset, delta: body.delta, reason: body.reason },
            clock.now(),
          );
          return record(uow, 200, { quota_id: quota.id });
        }),
      );
      const [row] = await loadQuotas(request.actor.tenantId, request.actor, { id: result.quota_id });
      return serializeQuota(row!);
    },
  );

  app.get(
    "/v1/voucher-quotas",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags: ["vouchers"],
        summary: "Voucher quotas of the resellers in the caller's scope",
        querystring: Obj({ reseller_id: Type.Optional(IdParam) }),
        response: { 200: listOf(Quota), ...errorResponses() },
      },
    },
    async (request) => {
      const rows = await loadQuotas(request.actor.tenantId, request.actor, {
        resellerId: request.query.reseller_id,
      });
      return toPage(rows, MAX_PAGE, serializeQuota);
    },
  );

  app.get(
    "/v1/voucher-quotas/:id/changes",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags: ["vouchers"],
        summary: "A quota's history: who changed it, when, by how much and why",
        params: Obj({ id: IdParam }),
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(QuotaChange), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const [quota] = await loadQuotas(actor.tenantId, actor, { id: request.params.id });
      if (!quota) throw new VouchersError("voucher_quota_not_found", "Voucher quota not found");
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(actor.tenantId, (trx) => {
        let query = trx
          .selectFrom("voucher_quota_changes")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("quota_id", "=", quota.id)
          .orderBy("id")
          .limit(limit + 1);
        if (request.query.starting_after) query = query.where("id", ">", request.query.starting_after);
        return query.execute();
      });
      return toPage(rows, limit, (row) => ({
        id: row.id,
        object: "voucher_quota_change" as const,
        quota_id: row.quota_id,
        delta: row.delta,
        reason: row.reason,
        actor_type: row.actor_type,
        actor_id: row.actor_id,
        created_at: row.created_at.toISOString(),
      }));
    },
  );

  app.post(
    "/v1/voucher-templates/:id/issue",
    {
      config: { permission: "vouchers.manage", idempotent: true },
      schema: {
        tags: ["vouchers"],
        summary: "Issue vouchers from a template to up to 100 customers (all or none)",
        description:
          "Each voucher's amount defaults to the template's face amount. customer_discount vouchers draw on the reseller's quota (quota_exceeded past it); they are usable at once, without approval.",
        params: Obj({ id: IdParam }),
        body: Obj({
          recipients: Type.Array(
            Obj({
              customer_id: IdParam,
              amount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
            }),
            { minItems: 1, maxItems: MAX_ISSUE_RECIPIENTS },
          ),
        }),
        response: { 201: listOf(Voucher), ...errorResponses(409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const result = await runIdempotent(request, reply, deps, async (record) =>
        deps.ledger.run(actor.tenantId, async (uow) => {
          const tenant = await uow.trx
            .selectFrom("tenants")
            .select("timezone")
            .where("id", "=", actor.tenantId)
            .executeTakeFirstOrThrow();
          const rows = await issueVouchers(
            uow,
            contextOf(request),
            {
              templateId: request.params.id,
              recipients: request.body.recipients.map((r) => ({
                customerId: r.customer_id,
                amount: r.amount,
              })),
              timezone: tenant.timezone,
            },
            clock.now(),
          );
          const data = rows.map((row) =>
            serializeVoucher({ ...row, balance: row.face_amount, status: "unused" } as VoucherListRow),
          );
          return record(uow, 201, { object: "list" as const, data, has_more: false });
        }),
      );
      return result;
    },
  );

  app.get(
    "/v1/vouchers",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags: ["vouchers"],
        summary: "List vouchers with their status and balance",
        description:
          "Staff see the vouchers of customers in their scope; a customer's member token sees its own.",
        querystring: Obj({ ...ListQuery, ...VoucherFilterQuery }),
        response: { 200: listOf(Voucher), ...errorResponses() },
      },
    },
    async (request) => {
      const { limit: _limit, starting_after, ...filters } = request.query;
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        listVouchers(
          trx,
          request.actor,
          filters,
          { limit: limit + 1, startingAfter: starting_after },
          clock.now(),
        ),
      );
      return toPage(rows, limit, serializeVoucher);
    },
  );

  app.get(
    "/v1/vouchers/export",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags: ["vouchers"],
        summary: `Export the filtered voucher list as CSV or xlsx (at most ${MAX_EXPORT_ROWS} rows)`,
        querystring: Obj({
          format: StringEnum(EXPORT_FORMATS),
          ...VoucherFilterQuery,
        }),
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { format, ...filters } = request.query;
      const rows = (await db.tenantTx(request.actor.tenantId, (trx) =>
        voucherQuery(trx, request.actor, filters, clock.now())
          .orderBy("v.id")
          .limit(MAX_EXPORT_ROWS + 1)
          .execute(),
      )) as VoucherListRow[];
      if (rows.length > MAX_EXPORT_ROWS) {
        throw new VouchersError(
          "limit_exceeded",
          `More than ${MAX_EXPORT_ROWS} vouchers match; narrow the filters`,
        );
      }
      const file = await exportTable(
        "vouchers",
        format,
        VOUCHER_EXPORT_COLUMNS,
        rows.map((r) => [
          r.id,
          r.purpose,
          r.status,
          r.face_amount,
          Number(r.balance),
          r.asset,
          r.customer_id,
          r.template_id,
          r.created_at.toISOString(),
          r.expires_at.toISOString(),
        ]),
      );
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  app.get(
    "/v1/vouchers/:id",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags: ["vouchers"],
        summary: "Get a voucher",
        params: Obj({ id: IdParam }),
        response: { 200: Voucher, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const voucher = await loadVoucher(trx, actor, request.params.id);
        return (await voucherQuery(trx, actor, {}, clock.now())
          .where("v.id", "=", voucher.id)
          .executeTakeFirstOrThrow()) as VoucherListRow;
      });
      return serializeVoucher(row);
    },
  );

  async function usagesOf(actor: AppActor, voucherId: string, limit: number, startingAfter?: string) {
    return db.tenantTx(actor.tenantId, async (trx) => {
      const voucher = await loadVoucher(trx, actor, voucherId);
      let query = trx
        .selectFrom("voucher_usages")
        .selectAll()
        .where("tenant_id", "=", actor.tenantId)
        .where("voucher_id", "=", voucher.id)
        .orderBy("id")
        .limit(limit);
      if (startingAfter) query = query.where("id", ">", startingAfter);
      return { voucher, rows: await query.execute() };
    });
  }

  app.get(
    "/v1/vouchers/:id/usages",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags: ["vouchers"],
        summary: "A voucher's usage details: each deduction and refund with bill, product, amount and time",
        params: Obj({ id: IdParam }),
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(Usage), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const { rows } = await usagesOf(
        request.actor,
        request.params.id,
        limit + 1,
        request.query.starting_after,
      );
      return toPage(rows, limit, (row) => ({
        id: row.id,
        object: "voucher_usage" as const,
        voucher_id: row.voucher_id,
        kind: row.kind,
        bill_id: row.bill_id,
        line_index: row.line_index,
        product_code: row.product_code,
        amount: row.amount,
        returned_to: row.returned_to,
        created_at: row.created_at.toISOString(),
      }));
    },
  );

  app.get(
    "/v1/vouchers/:id/usages/export",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags: ["vouchers"],
        summary: `Download a voucher's usage details as CSV or xlsx (at most ${MAX_EXPORT_ROWS} rows)`,
        params: Obj({ id: IdParam }),
        querystring: Obj({ format: StringEnum(EXPORT_FORMATS) }),
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { voucher, rows } = await usagesOf(request.actor, request.params.id, MAX_EXPORT_ROWS + 1);
      if (rows.length > MAX_EXPORT_ROWS) {
        throw new VouchersError(
          "limit_exceeded",
          `The voucher has more than ${MAX_EXPORT_ROWS} usage records`,
        );
      }
      const file = await exportTable(
        `voucher-${voucher.id}-usage`,
        request.query.format,
        USAGE_EXPORT_COLUMNS,
        rows.map((r) => [
          r.created_at.toISOString(),
          r.kind,
          r.bill_id,
          r.line_index,
          r.product_code,
          r.kind === "refund" ? -r.amount : r.amount,
          voucher.asset,
          r.returned_to,
        ]),
      );
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  app.post(
    "/v1/vouchers/:id/withdraw",
    {
      config: { permission: "vouchers.manage", idempotent: true },
      schema: {
        tags: ["vouchers"],
        summary: "Withdraw a voucher (irreversible); its remaining balance returns to its source",
        description:
          "customer_discount: by the issuing reseller (or its distributor); product_trial: only by the distributor. Only an unexpired voucher with a balance can be withdrawn.",
        params: Obj({ id: IdParam }),
        body: Type.Optional(Obj({ reason: Type.Optional(Type.String({ maxLength: 500 })) })),
        response: { 200: Voucher, ...errorResponses(409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      await runIdempotent(request, reply, deps, async (record) =>
        deps.ledger.run(actor.tenantId, async (uow) => {
          const { voucher, returned } = await withdrawVoucher(
            uow,
            contextOf(request),
            { voucherId: request.params.id, reason: request.body?.reason ?? null },
            clock.now(),
          );
          return record(uow, 200, { id: voucher.id, returned });
        }),
      );
      const row = await db.tenantTx(actor.tenantId, (trx) =>
        voucherQuery(trx, actor, {}, clock.now())
          .where("v.id", "=", request.params.id)
          .executeTakeFirstOrThrow(),
      );
      reply.status(200);
      return serializeVoucher(row as VoucherListRow);
    },
  );

  app.post(
    "/v1/voucher-bills",
    {
      config: { permission: "vouchers.bills" },
      schema: {
        tags: ["vouchers"],
        summary: "Offset a customer's bill with its vouchers (idempotent by bill_id)",
        description:
          "Order: vouchers whose minimum bill amount the bill total reaches, earliest expiry first, then smallest balance, then issue order; each offsets the lines its product scope allows, in line order, partly if its balance runs out. The same bill_id again answers the first result; other content under it is bill_id_reused.",
        body: Obj({
          bill_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
          customer_id: IdParam,
          asset: AssetCode,
          lines: Type.Array(
            Obj({ product_code: ProductCode, amount: Type.Integer({ minimum: 1, maximum: 1e13 }) }),
            {
              minItems: 1,
              maxItems: MAX_BILL_LINES,
            },
          ),
        }),
        response: { 200: Bill, ...errorResponses(409, 422, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const bill = await deps.ledger.run(request.actor.tenantId, (uow) =>
        deductBill(
          uow,
          contextOf(request),
          { billId: body.bill_id, customerId: body.customer_id, asset: body.asset, lines: body.lines },
          clock.now(),
        ),
      );
      return serializeBill(bill);
    },
  );

  app.get(
    "/v1/voucher-bills/:bill_id",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags: ["vouchers"],
        summary: "A bill's voucher deductions",
        params: Obj({ bill_id: IdParam }),
        response: { 200: Bill, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const bill = await db.tenantTx(actor.tenantId, async (trx) => {
        const row = await trx
          .selectFrom("voucher_bills as b")
          .innerJoin("org_units as c", (j) =>
            j.onRef("c.tenant_id", "=", "b.tenant_id").onRef("c.id", "=", "b.customer_id"),
          )
          .select(["b.id", "c.path"])
          .where("b.tenant_id", "=", actor.tenantId)
          .where("b.bill_id", "=", request.params.bill_id)
          .executeTakeFirst();
        if (!row) throw new VouchersError("voucher_bill_not_found", "Bill not found");
        assertInScope(actor, row.path, "voucher_bill");
        return loadBillResult({ trx }, actor.tenantId, row.id);
      });
      return serializeBill(bill);
    },
  );

  app.post(
    "/v1/voucher-bills/:bill_id/refunds",
    {
      config: { permission: "vouchers.bills" },
      schema: {
        tags: ["vouchers"],
        summary: "Refund a bill in full or in part: the vouchers' share goes back where it came from",
        description:
          "lines gives the refunded bill amount per line (omitted: everything not yet refunded). The vouchers get back their share of each line, rounded down until the line is refunded in full. A voucher that has expired or been withdrawn since gets nothing back: its share goes to the voucher's source (quota or distributor funding), as its remaining balance did. Idempotent by refund_id.",
        params: Obj({ bill_id: IdParam }),
        body: Obj({
          refund_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
          lines: Type.Optional(
            Type.Array(
              Obj({
                line_index: Type.Integer({ minimum: 0 }),
                amount: Type.Integer({ minimum: 1, maximum: 1e13 }),
              }),
              {
                minItems: 1,
                maxItems: MAX_BILL_LINES,
              },
            ),
          ),
        }),
        response: { 200: Refund, ...errorResponses(409, 422, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const refund = await deps.ledger.run(request.actor.tenantId, (uow) =>
        refundBill(
          uow,
          contextOf(request),
          {
            billId: request.params.bill_id,
            refundId: body.refund_id,
            lines: body.lines ? body.lines.map((l) => ({ lineIndex: l.line_index, amount: l.amount })) : null,
          },
          clock.now(),
        ),
      );
      return serializeRefund(refund);
    },
  );
}
