import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { exportTable } from "../../platform/files/export-table.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { RecordRefundBody } from "../../platform/http/record-refund.js";
import {
  Amount,
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { PaymentSceneField, paymentOrigin, ReturnUrlField } from "../wallets/index.js";
import { createTopupPlan } from "./create-topup-plan.js";
import { whyClosed } from "./decide-topup.js";
import { overTransaction, tenantWideGuard } from "./guards.js";
import { findVisibleMember, type ProviderResolver } from "./member-facts.js";
import { planAdminRoutes } from "./plan-admin.routes.js";
import { CHANNELS, CreatePlanBody, restrictionsOf, UpdatePlanBody } from "./plan-terms.js";
import type { PlanTopupRequest } from "./prepare-plan-topup.js";
import { recordTopupRefund } from "./record-refund.js";
import { type OnlineTopupStart, prepareOnlineTopup, recordOnlineTopup } from "./start-online-topup.js";
import { topUpWithPlan } from "./top-up-with-plan.js";
import { TopupError } from "./topup.errors.js";
import {
  findPlan,
  findTopup,
  listPlanTopups,
  PLAN_STATUSES,
  planQuery,
  plansQuery,
  planTopupsQuery,
  requirePlan,
  TOPUP_STATUSES,
  type TopupFilter,
} from "./topup.repository.js";
import { DETAIL_COLUMNS, detailRow, Plan, serializePlan, serializeTopup, Topup } from "./topup.schemas.js";
import { updateTopupPlan } from "./update-topup-plan.js";

/** An export holds at most this many top-ups; narrow from/to for more. */
export const MAX_DETAIL_EXPORT_ROWS = 50_000;
const tags = ["topup"];
/** What may refuse a top-up with a plan (decide-topup.ts, prepare-plan-topup.ts, the provider). */
const TOPUP_REFUSALS = [
  "member_not_found",
  "member_closed",
  "member_frozen",
  "topup_plan_not_found",
  "recharge_code_not_found",
  "plan_not_active",
  "plan_not_available_now",
  "plan_out_of_stock",
  "purchase_limit_reached",
  "first_topup_only",
  "channel_not_allowed",
  "store_not_found",
  "store_not_in_scope",
  "audience_mismatch",
  "amount_out_of_range",
  "amount_above_cap",
  "recharge_code_mismatch",
  "payment_provider_unknown",
  "house_currency_not_purchasable",
  "currency_not_supported_by_provider",
  "payment_provider_error",
  "too_many_open_lots",
  "currency_mismatch",
] as const;
type PlanTopupInput =
  | { online: OnlineTopupStart; offline?: never }
  | { online?: never; offline: PlanTopupRequest & { paymentMethod: "offline" } };
const PlanParams = Obj({ id: IdParam });
const DetailQuery = {
  member_id: Type.Optional(IdParam),
  channel: Type.Optional(StringEnum(CHANNELS)),
  store_id: Type.Optional(IdParam),
  status: Type.Optional(StringEnum(TOPUP_STATUSES)),
  first_topup: Type.Optional(Type.Boolean()),
  recharge_code_id: Type.Optional(IdParam),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
};

/** Top-up plans: management, top-ups with a plan (till or online), details and export. */
export function topupPlanRoutes(app: RouteApp, deps: AppDeps, providers: ProviderResolver): void {
  const { db, clock } = deps;

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/topup-plans",
    config: {
      permission: "topup.manage",
      idempotent: true,
      errors: ["catalog_scoped_actor", "invalid_topup_plan"],
    },
    schema: {
      operationId: "createTopupPlan",
      tags,
      summary: "Create a top-up plan (top-up package: fixed or range; custom top-up)",
      body: CreatePlanBody,
      response: { 201: Plan, ...errorResponses(422) },
    },
    status: 201,
    guard: tenantWideGuard,
    input: ({ body }) => body,
    op: overTransaction(createTopupPlan),
    respond: serializePlan,
  });

  app.get(
    "/v1/topup-plans",
    {
      config: { permission: "topup.read", member: true },
      schema: {
        operationId: "listTopupPlans",
        tags,
        summary: "List and search top-up plans (a member token sees only shown, active plans)",
        querystring: Obj({
          ...ListQuery,
          status: Type.Optional(StringEnum(PLAN_STATUSES)),
          kind: Type.Optional(StringEnum(["package", "custom"] as const)),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "Name contains" })),
        }),
        response: { 200: listOf(Plan), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const member = request.actor.type === "member";
      const rows = await db.tenantQuery(
        request.actor.tenantId,
        plansQuery(db.kysely, request.actor.tenantId, {
          ...request.query,
          status: member ? "active" : request.query.status,
          shownOnly: member,
          startingAfter: request.query.starting_after,
          limit,
        }),
      );
      return toPage(rows, limit, serializePlan);
    },
  );

  app.get(
    "/v1/topup-plans/:id",
    {
      config: { permission: "topup.read", member: true, errors: ["topup_plan_not_found"] },
      schema: {
        operationId: "getTopupPlan",
        tags,
        summary: "Get a top-up plan",
        params: PlanParams,
        response: { 200: Plan, ...errorResponses() },
      },
    },
    async (request) => {
      const [plan] = await db.tenantQuery(
        request.actor.tenantId,
        planQuery(db.kysely, request.actor.tenantId, request.params.id),
      );
      if (
        !plan ||
        (request.actor.type === "member" && (plan.visibility === "hidden" || plan.status !== "active"))
      )
        throw new TopupError("topup_plan_not_found", "Top-up plan not found");
      return serializePlan(plan);
    },
  );

  planAdminRoutes(app, deps, {
    base: "/v1/topup-plans",
    table: "topup_plans",
    noun: "top-up plan",
    operation: "TopupPlan",
    tags,
    schema: Plan,
    read: findPlan,
    serialize: serializePlan,
    update: {
      body: UpdatePlanBody,
      summary: "Edit a top-up plan: later top-ups follow the new terms",
      run: updateTopupPlan,
    },
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/topup-plans/:id/top-ups",
    config: {
      permission: "topup.operate",
      member: true,
      idempotent: true,
      errors: [...TOPUP_REFUSALS],
    },
    schema: {
      operationId: "topUpWithPlan",
      tags,
      summary: "Top up a member's balance with a plan: paid at the till (credited at once) or online",
      description:
        "payment_method offline: the till received the money; principal and bonus go to tagged lots, points, gifts, bonus benefits and the tier upgrade follow in one atomic step (201, status credited). online: 201 with status pending_payment and checkout; the provider's signed notification credits it. A member token tops up only itself, online, with shown plans. Refusals: store_not_found (no such store, or outside a store-bound operator's subtree), plan_not_active, channel_not_allowed, plan_not_available_now, store_not_in_scope, audience_mismatch, amount_out_of_range, first_topup_only, purchase_limit_reached, plan_out_of_stock, recharge_code_mismatch, house_currency_not_purchasable.",
      params: PlanParams,
      body: Obj(
        {
          member_id: IdParam,
          amount: Type.Optional(Amount),
          channel: StringEnum(CHANNELS),
          store_id: Type.Optional(IdParam),
          payment_method: StringEnum(["offline", "online"] as const),
          recharge_code: Type.Optional(Type.String({ minLength: 4, maxLength: 64 })),
          payment_scene: Type.Optional(PaymentSceneField),
          return_url: Type.Optional(ReturnUrlField),
        },
        {
          examples: [
            {
              member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
              amount: 25000,
              channel: "pos",
              payment_method: "offline",
            },
          ],
        },
      ),
      response: { 201: Topup, ...errorResponses(409, 422) },
    },
    status: 201,
    guard: ({ body }, { actor }) => {
      // The member center is never the till: a plan sold there alone must not be bought by
      // a member's request that says it is.
      if (
        actor.type === "member" &&
        (actor.memberId !== body.member_id || body.payment_method !== "online" || body.channel !== "online")
      )
        throw new TopupError("forbidden", "A member tops up only its own balance, online");
    },
    // Online: the provider is asked before the unit of work, so no lock is held while it answers.
    input: async (request, ctx, now): Promise<PlanTopupInput> => {
      const { params, body: b } = request;
      const req = {
        planId: params.id,
        memberId: b.member_id,
        amount: b.amount,
        channel: b.channel,
        storeId: b.store_id ?? null,
        rechargeCode: b.recharge_code ?? null,
      };
      return b.payment_method === "online"
        ? {
            online: await prepareOnlineTopup(
              db,
              ctx,
              providers,
              { ...req, paymentMethod: "online" },
              now,
              paymentOrigin(request, b),
            ),
          }
        : { offline: { ...req, paymentMethod: "offline" } };
    },
    op: (uow, ctx, input, now) =>
      input.online
        ? recordOnlineTopup(uow, ctx, input.online, now)
        : topUpWithPlan(uow, ctx, input.offline, now),
    respond: serializeTopup,
  });

  app.get(
    "/v1/topup-plans/:id/availability",
    {
      config: {
        permission: "topup.read",
        member: true,
        errors: ["member_not_found", "topup_plan_not_found"],
      },
      schema: {
        operationId: "checkTopupPlanAvailability",
        tags,
        summary: "Whether a member may top up with the plan now at a store and channel, or why not",
        params: PlanParams,
        querystring: Obj({
          member_id: IdParam,
          channel: StringEnum(CHANNELS),
          store_id: Type.Optional(IdParam),
        }),
        response: {
          200: Type.Object({
            available: Type.Boolean(),
            code: Type.Union([Type.String(), Type.Null()]),
            reason: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { actor } = request;
      const q = request.query;
      return db.tenantTx(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, q.member_id);
        const plan = await findPlan(trx, actor.tenantId, request.params.id);
        if (actor.type === "member" && plan.visibility === "hidden")
          throw new TopupError("topup_plan_not_found", "Top-up plan not found");
        const closed = await whyClosed(
          trx,
          actor.tenantId,
          { status: plan.status, ...plan.terms, channels: restrictionsOf(plan.terms).channels },
          { memberId: q.member_id, storeId: q.store_id ?? null, channel: q.channel },
          clock.now(),
        );
        return { available: closed === null, code: closed?.code ?? null, reason: closed?.detail ?? null };
      });
    },
  );

  app.get(
    "/v1/topup-plans/:id/top-ups",
    {
      config: { permission: "topup.read" },
      schema: {
        operationId: "listTopupPlanDetails",
        tags,
        summary:
          "Details: every top-up under the plan (member, card number, amounts, gift, channel, store, time, first top-up)",
        params: PlanParams,
        querystring: Obj({ ...ListQuery, ...DetailQuery }),
        response: { 200: listOf(Topup), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const tenantId = request.actor.tenantId;
      const [[plan], rows] = await db.tenantQueries(tenantId, [
        planQuery(db.kysely, tenantId, request.params.id),
        planTopupsQuery(
          db.kysely,
          request.actor,
          request.params.id,
          { ...(request.query as TopupFilter), startingAfter: request.query.starting_after },
          limit + 1,
        ).select((eb) =>
          eb
            .selectFrom("members as named")
            .select("named.name")
            .where("named.tenant_id", "=", tenantId)
            .whereRef("named.id", "=", "topups.member_id")
            .as("member_name"),
        ),
      ] as const);
      requirePlan(plan);
      return toPage(rows, limit, ({ member_name, ...row }) => ({
        ...serializeTopup(row),
        ...(member_name === null ? {} : { member_name }),
      }));
    },
  );

  app.get(
    "/v1/topup-plans/:id/top-ups/export",
    {
      config: { permission: "topup.read" },
      schema: {
        operationId: "exportTopupPlanDetails",
        tags,
        summary: `Export the plan's top-ups as CSV or xlsx (same filters; at most ${MAX_DETAIL_EXPORT_ROWS} rows)`,
        params: PlanParams,
        querystring: Obj({ format: StringEnum(["csv", "xlsx"] as const), ...DetailQuery }),
        produces: ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const tenantId = request.actor.tenantId;
      const rows = await db.tenantTx(tenantId, async (trx) => {
        await findPlan(trx, tenantId, request.params.id);
        return listPlanTopups(
          trx,
          request.actor,
          request.params.id,
          request.query as TopupFilter,
          MAX_DETAIL_EXPORT_ROWS + 1,
        );
      });
      if (rows.length > MAX_DETAIL_EXPORT_ROWS)
        throw new TopupError("limit_exceeded", `More than ${MAX_DETAIL_EXPORT_ROWS} top-ups; narrow from/to`);
      const file = await exportTable(
        `topups-${request.params.id}`,
        request.query.format,
        [...DETAIL_COLUMNS],
        rows.map(detailRow),
      );
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  app.get(
    "/v1/topups/:id",
    {
      config: { permission: "topup.read", member: true, errors: ["topup_not_found"] },
      schema: {
        operationId: "getTopup",
        tags,
        summary: "A top-up and its status (a member token: only its own)",
        params: Obj({ id: IdParam }),
        response: { 200: Topup, ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const row = await findTopup(trx, request.actor.tenantId, request.params.id);
        await findVisibleMember(trx, request.actor, row.member_id).catch(() => {
          throw new TopupError("topup_not_found", "Top-up not found");
        });
        return serializeTopup(row);
      }),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/topups/:id/record-refund",
    config: { permission: "topup.finance", idempotent: true, errors: ["topup_not_found", "not_refund_due"] },
    schema: {
      operationId: "recordTopupRefund",
      tags,
      summary: "Record the refund, made at the provider, of a refund_due online top-up (finance)",
      description:
        "The top-up's payment was collected but never credited (refund_due); finance refunds it at the provider and records it here: the top-up becomes refunded, its details keeping the provider's refund id (reference), a note, who and when (details.refund_record). Nothing moves in the ledger; a provider's refund notification for it afterwards changes nothing, and one heard first for the whole payment has recorded it already (recorded_by the provider, with provider_event). A cashier's smart top-up is paid by its cashier payment: recording it here records that payment's refund too, as recording the payment's records the top-up's. Any other status, a second call included (on either), answers 409 not_refund_due and writes nothing.",
      params: Obj({ id: IdParam }),
      body: RecordRefundBody,
      response: { 200: Topup, ...errorResponses(409) },
    },
    status: 200,
    guard: async ({ params }, { actor }) =>
      db.tenantTx(actor.tenantId, async (trx) => {
        const row = await findTopup(trx, actor.tenantId, params.id);
        await findVisibleMember(trx, actor, row.member_id).catch(() => {
          throw new TopupError("topup_not_found", "Top-up not found");
        });
      }),
    input: ({ params, body }) => ({ topupId: params.id, body }),
    op: recordTopupRefund,
    respond: serializeTopup,
  });
}
