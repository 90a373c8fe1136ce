import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { tenantPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { assertTenantWide } from "./benefit-rules.js";
import {
  CAMPAIGN_KINDS,
  type CampaignRow,
  campaignByIdQuery,
  campaignQuery,
  requireCampaign,
} from "./campaigns.repository.js";
import { createCampaign, updateCampaign } from "./save-campaign.js";

const MemberExclusive = Type.Boolean({
  description:
    "The Member-Exclusive Benefit option: only a campaign with it checked can be linked by a promotional benefit",
});

const Campaign = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("benefit_campaign"),
    name: Type.String(),
    kind: StringEnum(CAMPAIGN_KINDS),
    member_exclusive: Type.Boolean(),
    created_by: Type.String(),
    updated_by: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  {
    $id: "BenefitCampaign",
    examples: [
      {
        id: "cmp_01JEXAMPLE",
        object: "benefit_campaign",
        name: "Member-Exclusive Rebate",
        kind: "promotional",
        member_exclusive: true,
        created_by: "key_01JEXAMPLE",
        updated_by: "key_01JEXAMPLE",
        created_at: "2026-12-02T08:00:00.000Z",
        updated_at: "2026-12-02T08:00:00.000Z",
      },
    ],
  },
);

const serialize = (row: CampaignRow) => ({
  id: row.id,
  object: "benefit_campaign" as const,
  name: row.name,
  kind: row.kind,
  member_exclusive: row.member_exclusive,
  created_by: row.created_by,
  updated_by: row.updated_by,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

const Name = Type.String({ minLength: 1, maxLength: 100 });

/** The campaign registry marketing and promotional benefits link to (seed 001 §2.1). */
export async function campaignsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["benefits"];

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/benefit-campaigns",
    config: { permission: "benefits.manage", idempotent: true, errors: ["benefit_scoped_actor"] },
    schema: {
      operationId: "createBenefitCampaign",
      tags,
      summary: "Register a marketing or promotional campaign benefits can link to",
      body: Obj(
        { name: Name, kind: StringEnum(CAMPAIGN_KINDS), member_exclusive: Type.Optional(MemberExclusive) },
        { examples: [{ name: "Member-Exclusive Rebate", kind: "promotional", member_exclusive: true }] },
      ),
      response: { 201: Campaign, ...errorResponses(422) },
    },
    status: 201,
    batched: false,
    guard: ({ actor }) => assertTenantWide(actor),
    input: ({ body }) => ({
      name: body.name,
      kind: body.kind,
      member_exclusive: body.member_exclusive ?? false,
    }),
    op: ({ trx }, ctx, input, now) => createCampaign(trx, ctx, input, now),
    respond: serialize,
  });

  app.get(
    "/v1/benefit-campaigns",
    {
      config: { permission: "benefits.read" },
      schema: {
        operationId: "listBenefitCampaigns",
        tags,
        summary:
          "List campaigns (id order, at most 100 a page) by name keyword, kind and member-exclusive flag",
        querystring: Obj({
          ...ListQuery,
          name: Type.Optional(Name),
          kind: Type.Optional(StringEnum(CAMPAIGN_KINDS)),
          member_exclusive: Type.Optional(Type.Boolean()),
        }),
        response: { 200: listOf(Campaign), ...errorResponses() },
      },
    },
    async ({ actor, query }) =>
      tenantPage(db, actor.tenantId, campaignQuery(db.kysely, actor.tenantId, query), query, serialize),
  );

  app.get(
    "/v1/benefit-campaigns/:id",
    {
      config: { permission: "benefits.read", errors: ["campaign_not_found"] },
      schema: {
        operationId: "getBenefitCampaign",
        tags,
        summary: "Get a campaign",
        params: Obj({ id: IdParam }),
        response: { 200: Campaign, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const [row] = await db.tenantQuery(
        actor.tenantId,
        campaignByIdQuery(db.kysely, actor.tenantId, params.id),
      );
      return serialize(requireCampaign(row, params.id));
    },
  );

  app.patch(
    "/v1/benefit-campaigns/:id",
    {
      config: {
        permission: "benefits.manage",
        errors: ["benefit_scoped_actor", "campaign_not_found", "campaign_in_use"],
      },
      schema: {
        operationId: "updateBenefitCampaign",
        tags,
        summary:
          "Rename a campaign or change its member-exclusive flag (not cleared while an active promotional benefit links it)",
        params: Obj({ id: IdParam }),
        body: Obj(
          { name: Type.Optional(Name), member_exclusive: Type.Optional(MemberExclusive) },
          { minProperties: 1, examples: [{ member_exclusive: true }] },
        ),
        response: { 200: Campaign, ...errorResponses(409) },
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      assertTenantWide(ctx.actor);
      return serialize(
        await db.tenantTx(ctx.actor.tenantId, (trx) =>
          updateCampaign(trx, ctx, request.params.id, request.body, clock.now()),
        ),
      );
    },
  );
}
