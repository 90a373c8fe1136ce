import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { createRechargeCode, disableRechargeCode, qrPayload } from "./create-recharge-code.js";
import { assertTenantWide, overTransaction, tenantWideGuard } from "./guards.js";
import { CHANNELS } from "./plan-terms.js";
import {
  type CodeCounts,
  codeCounts,
  codeCountsOf,
  codeCountsQuery,
  codesQuery,
  planQuery,
  type RechargeCodeRow,
  requirePlan,
} from "./topup.repository.js";

const Str = Type.String();
const Int = Type.Integer();
const RechargeCode = Type.Object(
  {
    id: Str,
    object: Type.Literal("recharge_code"),
    code: Str,
    qr_payload: Str,
    plan_id: Str,
    scenario: Str,
    store_id: Nullable(Str),
    channel: StringEnum(CHANNELS),
    status: StringEnum(["active", "disabled"] as const),
    counts: Type.Object({ started: Int, credited: Int, amount: Int, bonus_amount: Int }),
    created_at: Timestamp,
  },
  { description: "Top-ups started with `recharge_code` = code are attributed to it and counted here" },
);
const zero: CodeCounts = { started: 0, credited: 0, amount: 0, bonus_amount: 0 };
const serialize = (r: RechargeCodeRow, counts: CodeCounts | undefined) => ({
  id: r.id,
  object: "recharge_code" as const,
  code: r.code,
  qr_payload: qrPayload(r.tenant_id, r.code),
  plan_id: r.plan_id,
  scenario: r.scenario,
  store_id: r.store_id,
  channel: r.channel,
  status: r.status,
  counts: counts ?? zero,
  created_at: r.created_at.toISOString(),
});

/** Recharge codes of a plan: create (code + QR payload), list with per-code counts, disable. */
export function rechargeCodeRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["topup"];

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/topup-plans/:id/recharge-codes",
    config: {
      permission: "topup.manage",
      idempotent: true,
      errors: ["catalog_scoped_actor", "topup_plan_not_found", "store_not_in_scope", "channel_not_allowed"],
    },
    schema: {
      operationId: "createRechargeCode",
      tags,
      summary: "Generate a recharge code (and its QR payload) for a plan, a scenario, a store and a channel",
      params: Obj({ id: IdParam }),
      body: Obj(
        {
          scenario: Type.String({ minLength: 1, maxLength: 100 }),
          store_id: Type.Optional(IdParam),
          channel: StringEnum(CHANNELS),
        },
        { examples: [{ scenario: "Counter poster", channel: "online" }] },
      ),
      response: { 201: RechargeCode, ...errorResponses(409, 422) },
    },
    status: 201,
    guard: tenantWideGuard,
    input: ({ params, body }) => ({
      planId: params.id,
      scenario: body.scenario,
      storeId: body.store_id ?? null,
      channel: body.channel,
    }),
    op: overTransaction(createRechargeCode),
    respond: (row: RechargeCodeRow) => serialize(row, undefined),
  });

  app.get(
    "/v1/topup-plans/:id/recharge-codes",
    {
      config: { permission: "topup.read" },
      schema: {
        operationId: "listRechargeCodes",
        tags,
        summary: "A plan's recharge codes with per-code counts (top-ups started, credited, amounts)",
        params: Obj({ id: IdParam }),
        querystring: Obj(ListQuery),
        response: { 200: listOf(RechargeCode), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const tenantId = request.actor.tenantId;
      const page = codesQuery(
        db.kysely,
        tenantId,
        request.params.id,
        request.query.starting_after,
        limit + 1,
      );
      const [[plan], rows, countRows] = await db.tenantQueries(tenantId, [
        planQuery(db.kysely, tenantId, request.params.id),
        page,
        codeCountsQuery(db.kysely, tenantId, db.kysely.selectFrom(page.as("c")).select("c.id").$asScalar()),
      ] as const);
      requirePlan(plan);
      const counts = codeCountsOf(countRows);
      return toPage(rows, limit, (r) => serialize(r, counts.get(r.id)));
    },
  );

  app.post(
    "/v1/recharge-codes/:id/disable",
    {
      config: { permission: "topup.manage" },
      schema: {
        operationId: "disableRechargeCode",
        tags,
        summary: "Disable a recharge code (it starts no more top-ups; its counts stay)",
        params: Obj({ id: IdParam }),
        response: { 200: RechargeCode, ...errorResponses() },
      },
    },
    async (request) => {
      assertTenantWide(request.actor);
      const tenantId = request.actor.tenantId;
      return db.tenantTx(tenantId, async (trx) => {
        const row = await disableRechargeCode(trx, contextOf(request), request.params.id, clock.now());
        return serialize(row, (await codeCounts(trx, tenantId, [row.id])).get(row.id));
      });
    },
  );
}
