import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { actorNameQueries, actorNamesOf } from "../../platform/auth/actor-names.js";
import { IMAGE_RESPONSE_HEADERS } from "../../platform/files/image-check.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  KeyedRecord,
  ListQuery,
  listOf,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import {
  checkIcon,
  findIcon,
  ICON_MEDIA_TYPES,
  iconShown,
  MAX_ICON_BYTES,
  saveIcon,
} from "./benefit-icons.js";
import { assertTenantWide } from "./benefit-rules.js";
import { AudienceRule, BENEFIT_KINDS, BENEFIT_STATUSES } from "./benefit-types.js";
import { BenefitsError } from "./benefits.errors.js";
import { type BenefitRow, benefitQuery, benefitsQuery, requireBenefit } from "./benefits.repository.js";
import { createBenefit } from "./create-benefit.js";
import { setBenefitStatus, updateBenefit } from "./update-benefit.js";

/** Each kind's own schema (KIND_CONFIG) closes the object; the largest has 7 fields. */
const Config = KeyedRecord({ maxLength: 64 }, Type.Unknown(), {
  maxProperties: 20,
  description:
    "The kind's own fields (see docs/checkout-stacking.md): e.g. member_discount {discount_percent: 20} means the member pays 80%",
});

const Benefit = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("benefit"),
    kind: StringEnum(BENEFIT_KINDS),
    name: Type.String(),
    brief: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    icon: Type.Union([Type.String(), Type.Null()]),
    audience: Type.Record(Type.String(), Type.Unknown()),
    config: Config,
    stackable: Type.Boolean(),
    status: StringEnum(BENEFIT_STATUSES),
    version: Type.Integer(),
    created_by: Type.String(),
    updated_by: Type.String(),
    updated_by_name: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: "In lists: the name of the user or the label of the API key that last changed it",
      }),
    ),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Benefit" },
);

export function serializeBenefit(row: BenefitRow) {
  return {
    id: row.id,
    object: "benefit" as const,
    kind: row.kind,
    name: row.name,
    brief: row.brief,
    description: row.description,
    icon: row.icon,
    audience: row.audience as Record<string, unknown>,
    config: row.config,
    stackable: row.stackable,
    status: row.status,
    version: row.version,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const common = {
  brief: Type.Optional(Nullable(Text(200))),
  description: Type.Optional(Nullable(Text(5000))),
  icon: Type.Optional(
    Nullable(Type.String({ minLength: 1, maxLength: 500, description: "Icon file reference" })),
  ),
  audience: Type.Optional(AudienceRule),
  stackable: Type.Optional(
    Type.Boolean({ description: "Adds to the best single member price instead of competing" }),
  ),
};

/** Refusals of what a benefit links to: its campaign (marketing, promotional), the plans it extends. */
const LINK_ERRORS = [
  "campaign_not_found",
  "campaign_kind_mismatch",
  "campaign_not_member_exclusive",
  "card_extension_permanent_plan",
];
/** What a create or an edit may refuse besides the links: the config, the icon, a detail image. */
const SAVE_ERRORS = [...LINK_ERRORS, "invalid_benefit_config", "invalid_icon", "invalid_image"];

export async function benefitsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["benefits"];

  // Icons arrive as the raw image; the app's body limit (1 MiB) is the icon limit.
  app.addContentTypeParser([...ICON_MEDIA_TYPES], { parseAs: "buffer" }, (_request, body, done) =>
    done(null, body),
  );

  /** An upload's body is the image itself; its type and content are checked before anything is kept. */
  const iconOf = (request: { headers: Record<string, unknown>; body: unknown }) => {
    if (!Buffer.isBuffer(request.body)) {
      throw new BenefitsError(
        "unsupported_media_type",
        "An icon is uploaded as image/png, image/jpeg, image/webp or image/svg+xml",
      );
    }
    return {
      media: checkIcon(String(request.headers["content-type"] ?? ""), request.body),
      bytes: request.body,
    };
  };

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/benefit-icons",
    config: { permission: "benefits.manage", idempotent: true },
    schema: {
      tags,
      summary: "Upload a benefit icon: the body is the image (PNG, JPEG, WebP or SVG), at most 1 MiB",
      description:
        "The content is checked against its Content-Type; an SVG with active content (scripts, event handlers, external links, embedded documents, entities) is refused. Put the returned id in a benefit's `icon`.",
      response: {
        201: Type.Object({
          id: Type.String(),
          object: Type.Literal("benefit_icon"),
          media_type: StringEnum(ICON_MEDIA_TYPES),
          size: Type.Integer({ maximum: MAX_ICON_BYTES }),
          sha256: Type.String(),
          url: Type.String(),
          created_at: Timestamp,
        }),
        ...errorResponses(415, 422),
      },
    },
    status: 201,
    batched: false,
    guard: (request) => {
      assertTenantWide(request.actor);
      iconOf(request);
    },
    input: (request) => iconOf(request),
    op: ({ trx }, ctx, { media, bytes }, now) => saveIcon(trx, ctx, media, bytes, now),
    respond: (icon) => ({
      ...icon,
      object: "benefit_icon" as const,
      url: `/v1/benefit-icons/${icon.id}`,
      created_at: icon.created_at.toISOString(),
    }),
  });

  app.get(
    "/v1/benefit-icons/:id",
    {
      config: { permission: "benefits.read", member: true, errors: ["benefit_icon_not_found"] },
      schema: {
        tags,
        summary: "Download a benefit icon (served with a sandboxing Content-Security-Policy)",
        description:
          "Staff read any icon of the tenant; a member token reads the icon of an active benefit (what the member center shows), any other answers 404.",
        params: Obj({ id: IdParam }),
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const icon = await db.tenantTx(actor.tenantId, async (trx) => {
        // A member sees benefits, not the catalog's uploads: an icon no active benefit shows stays staff-only.
        if (actor.type === "member" && !(await iconShown(trx, actor.tenantId, request.params.id))) {
          throw new BenefitsError("benefit_icon_not_found", "Icon not found");
        }
        return findIcon(trx, actor.tenantId, request.params.id);
      });
      reply.type(icon.media_type).headers(IMAGE_RESPONSE_HEADERS).header("etag", `"${icon.sha256}"`);
      return reply.send(icon.bytes);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/benefits",
    config: { permission: "benefits.manage", idempotent: true, errors: SAVE_ERRORS },
    schema: {
      tags,
      summary: "Create a member benefit of one of the ten kinds",
      body: Obj({
        kind: StringEnum(BENEFIT_KINDS),
        name: Text(100),
        ...common,
        config: Config,
        status: Type.Optional(StringEnum(BENEFIT_STATUSES)),
      }),
      response: { 201: Benefit, ...errorResponses(422) },
    },
    status: 201,
    batched: false,
    guard: ({ actor }) => assertTenantWide(actor),
    input: ({ body: b }) => ({
      kind: b.kind,
      name: b.name,
      brief: b.brief ?? null,
      description: b.description ?? null,
      icon: b.icon ?? null,
      audience: b.audience ?? {},
      config: b.config,
      stackable: b.stackable ?? false,
      status: b.status ?? ("active" as const),
    }),
    op: ({ trx }, ctx, input, now) => createBenefit(trx, ctx, input, now),
    respond: serializeBenefit,
  });

  app.get(
    "/v1/benefits",
    {
      config: { permission: "benefits.read" },
      schema: {
        tags,
        summary:
          "Search benefits by name keyword, kind, status and operator (who last changed it: user name, key label or id); at most 100 a page",
        querystring: Obj({
          ...ListQuery,
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          kind: Type.Optional(StringEnum(BENEFIT_KINDS)),
          status: Type.Optional(StringEnum(BENEFIT_STATUSES)),
          operator: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 64,
              description: "Who last changed it: an actor id, or part of a user's name or an API key's label",
            }),
          ),
        }),
        response: { 200: listOf(Benefit), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      const tenantId = request.actor.tenantId;
      const page = benefitsQuery(db.kysely, tenantId, {
        name: q.name,
        kind: q.kind,
        status: q.status,
        operator: q.operator,
        startingAfter: q.starting_after,
        limit,
      });
      const [rows, users, keys] = await db.tenantQueries(tenantId, [
        page,
        ...actorNameQueries(
          db.kysely,
          tenantId,
          db.kysely.selectFrom(page.as("p")).select("p.updated_by").$asScalar(),
        ),
      ] as const);
      const names = actorNamesOf(users, keys);
      return toPage(rows, limit, (row) => ({
        ...serializeBenefit(row),
        updated_by_name: names.get(row.updated_by) ?? null,
      }));
    },
  );

  app.get(
    "/v1/benefits/:id",
    {
      config: { permission: "benefits.read" },
      schema: {
        tags,
        summary: "Get a benefit",
        params: Obj({ id: IdParam }),
        response: { 200: Benefit, ...errorResponses() },
      },
    },
    async (request) => {
      const [row] = await db.tenantQuery(
        request.actor.tenantId,
        benefitQuery(db.kysely, request.actor.tenantId, request.params.id),
      );
      return serializeBenefit(requireBenefit(row));
    },
  );

  app.patch(
    "/v1/benefits/:id",
    {
      config: { permission: "benefits.manage", errors: SAVE_ERRORS },
      schema: {
        tags,
        summary: "Edit a benefit (its kind stays; config is replaced whole)",
        params: Obj({ id: IdParam }),
        body: Obj(
          { name: Type.Optional(Text(100)), ...common, config: Type.Optional(Config) },
          { minProperties: 1 },
        ),
        response: { 200: Benefit, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      assertTenantWide(actor);
      const row = await db.tenantTx(actor.tenantId, (trx) =>
        updateBenefit(trx, { actor, requestId: request.id }, request.params.id, request.body, clock.now()),
      );
      return serializeBenefit(row);
    },
  );

  for (const [verb, status] of [
    ["deactivate", "inactive"],
    ["activate", "active"],
  ] as const) {
    app.post(
      `/v1/benefits/:id/${verb}`,
      {
        config: { permission: "benefits.manage", ...(status === "active" ? { errors: LINK_ERRORS } : {}) },
        schema: {
          tags,
          summary:
            verb === "deactivate"
              ? "Deactivate a benefit: members lose it at once; quotes made before re-check at complete"
              : "Activate a benefit",
          params: Obj({ id: IdParam }),
          response: { 200: Benefit, ...errorResponses(422) },
        },
      },
      async (request) => {
        const actor = request.actor;
        assertTenantWide(actor);
        const row = await db.tenantTx(actor.tenantId, (trx) =>
          setBenefitStatus(trx, { actor, requestId: request.id }, request.params.id, status, clock.now()),
        );
        return serializeBenefit(row);
      },
    );
  }
}
