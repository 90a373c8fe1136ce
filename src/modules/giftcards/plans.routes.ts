import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { storeInScope } from "../catalog/index.js";
import { copyPlan } from "./copy-plan.js";
import { createPlan } from "./create-plan.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { CARD_TYPES, findPlan, PLAN_STATUSES, type PlanRow, planPageQuery } from "./giftcards.repository.js";
import { CopyPlanBody, CreatePlanBody, Plan, serializePlan, UpdatePlanBody } from "./plans.schemas.js";
import { setPlanStatus } from "./set-plan-status.js";
import { updatePlan } from "./update-plan.js";

/** Gift card plans: created, edited, copied, activated and deactivated by tenant-wide staff. */
export function planRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["gift cards"];
  const Params = Obj({ id: IdParam });

  app.post(
    "/v1/gift-card-plans",
    {
      config: { permission: "giftcards.manage", tenantWide: true },
      schema: {
        tags,
        operationId: "createGiftCardPlan",
        summary: "Create a gift card plan (inactive until activated)",
        description:
          "Up to 6 denominations, each with its purchase discount; and/or a custom amount range with a discount in basis points (rounded down). Buyer information rules, validity after purchase or to a fixed date, sales channels, POS recharge and the terms agreement (type gift_card_terms).",
        body: CreatePlanBody,
        response: { 201: Plan, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const row = await db.tenantTx(actor.tenantId, (trx) =>
        createPlan(trx, { actor, requestId: request.id }, request.body, clock.now()),
      );
      reply.status(201);
      return serializePlan(row);
    },
  );

  app.get(
    "/v1/gift-card-plans",
    {
      config: { permission: "giftcards.read", member: true },
      schema: {
        tags,
        operationId: "listGiftCardPlans",
        summary: "List gift card plans (a member token sees only the active plans sold online)",
        querystring: Obj({
          ...ListQuery,
          status: Type.Optional(StringEnum(PLAN_STATUSES)),
          card_type: Type.Optional(StringEnum(CARD_TYPES)),
        }),
        response: { 200: listOf(Plan), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const { limit: asked, starting_after, ...rest } = request.query;
      const limit = pageLimit(asked);
      // A member buys only online (POST /v1/members/{id}/gift-card-purchases): it sees what is on sale there.
      const filters =
        actor.type === "member" ? { ...rest, status: "active" as const, channel: "ONLINE" as const } : rest;
      const rows = (await db.tenantQuery(
        actor.tenantId,
        planPageQuery(db.kysely, actor, filters, { limit: limit + 1, startingAfter: starting_after }),
      )) as PlanRow[];
      return toPage(rows, limit, serializePlan);
    },
  );

  app.get(
    "/v1/gift-card-plans/:id",
    {
      config: { permission: "giftcards.read" },
      schema: {
        tags,
        operationId: "getGiftCardPlan",
        summary: "Get a gift card plan",
        params: Params,
        response: { 200: Plan, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const plan = await findPlan(trx, actor.tenantId, request.params.id);
        // Staff bound to an org unit see the plans whose cards may be used at their unit.
        if (
          actor.orgUnitId &&
          !(await storeInScope(trx, actor.tenantId, plan.store_scope, actor.orgUnitId))
        ) {
          throw new GiftcardsError("gift_card_plan_not_found", "Gift card plan not found");
        }
        return plan;
      });
      return serializePlan(row);
    },
  );

  app.patch(
    "/v1/gift-card-plans/:id",
    {
      config: { permission: "giftcards.manage", tenantWide: true },
      schema: {
        tags,
        operationId: "updateGiftCardPlan",
        summary: "Edit a gift card plan",
        description:
          "Later sales follow the new configuration; sold cards keep their redemption stores and expiry. Card type and currency are fixed once a card exists (gift_card_plan_locked).",
        params: Params,
        body: UpdatePlanBody,
        response: { 200: Plan, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const { actor } = request;
      const row = await db.tenantTx(actor.tenantId, (trx) =>
        updatePlan(trx, { actor, requestId: request.id }, request.params.id, request.body, clock.now()),
      );
      return serializePlan(row);
    },
  );

  app.post(
    "/v1/gift-card-plans/:id/copy",
    {
      config: { permission: "giftcards.manage", tenantWide: true },
      schema: {
        tags,
        operationId: "copyGiftCardPlan",
        summary: "Copy a gift card plan: everything kept, a new name (and optionally validity and design)",
        params: Params,
        body: CopyPlanBody,
        response: { 201: Plan, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const row = await db.tenantTx(actor.tenantId, (trx) =>
        copyPlan(trx, { actor, requestId: request.id }, request.params.id, request.body, clock.now()),
      );
      reply.status(201);
      return serializePlan(row);
    },
  );

  for (const [verb, status, operationId, summary] of [
    [
      "activate",
      "active",
      "activateGiftCardPlan",
      "Activate a plan: on sale at once on its channels (POS, online)",
    ],
    [
      "deactivate",
      "inactive",
      "deactivateGiftCardPlan",
      "Deactivate a plan: sales stop; sold cards stay usable",
    ],
  ] as const) {
    app.post(
      `/v1/gift-card-plans/:id/${verb}`,
      {
        config: { permission: "giftcards.manage", tenantWide: true },
        schema: { tags, operationId, summary, params: Params, response: { 200: Plan, ...errorResponses() } },
      },
      async (request) => {
        const { actor } = request;
        const row = await db.tenantTx(actor.tenantId, (trx) =>
          setPlanStatus(trx, { actor, requestId: request.id }, request.params.id, status, clock.now()),
        );
        return serializePlan(row);
      },
    );
  }
}
