import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Metadata,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import { AudienceRule, audienceMatches, loadTierCatalog, validateAudienceRule } from "./audience.js";
import { createCardPlan, updateCardPlan } from "./card-plans.js";
import { changeMemberTier } from "./change-member-tier.js";
import { createMember } from "./create-member.js";
import {
  IMPORT_COLUMNS,
  importMembers,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
  readImportFile,
} from "./import-members.js";
import {
  changeLabelMembers,
  createLabel,
  type LabelKind,
  MAX_MEMBERS_PER_CHANGE,
  renameLabel,
} from "./labels.js";
import { findVisibleMember } from "./member-access.js";
import { MembersError } from "./members.errors.js";
import {
  birthdayText,
  type CardPlanRow,
  type CardTierRow,
  type Catalog,
  factsOf,
  type LabelRow,
  loadCatalog,
  type MemberRow,
} from "./members.repository.js";
import { searchMembers } from "./search-members.js";
import { updateMember } from "./update-member.js";

const Code = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.-]+$", examples: ["gold"] });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Birthday = Type.String({
  pattern: "^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$",
  description: "MM-DD, or YYYY-MM-DD when the year is known",
  examples: ["03-15", "1990-03-15"],
});
const STATUSES = ["active", "frozen", "closed"] as const;
const TIER_REASONS = ["manual", "topup_upgrade", "package"] as const;

const Validity = Type.Union(
  [
    Obj({ kind: Type.Literal("permanent") }),
    Obj({ kind: Type.Literal("relative"), days: Type.Integer({ minimum: 1, maximum: 36_600 }) }),
  ],
  {
    description: "Card validity: permanent, or N days from issue",
    examples: [{ kind: "relative", days: 365 }],
  },
);
const TierIn = Obj({
  code: Code,
  name: Name,
  rank: Type.Integer({ minimum: 1, maximum: 1000, description: "Higher is better" }),
});

const Tier = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  rank: Type.Integer(),
});
const CardPlan = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("card_plan"),
    code: Type.String(),
    name: Type.String(),
    validity: Type.Object({
      kind: StringEnum(["permanent", "relative"] as const),
      days: Nullable(Type.Integer()),
    }),
    tiers: Type.Array(Tier, { description: "Lowest rank first" }),
    archived: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "CardPlan" },
);
const Label = (object: "member_group" | "member_tag") =>
  Type.Object({
    id: Type.String(),
    object: Type.Literal(object),
    code: Type.String(),
    name: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  });

const Member = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("member"),
    external_ref: Nullable(Type.String()),
    name: Type.String(),
    phone: Nullable(Type.String()),
    email: Nullable(Type.String()),
    birthday: Nullable(Type.String()),
    card_plan: Nullable(Type.String({ description: "Card plan code" })),
    tier: Nullable(Type.String({ description: "Tier code" })),
    card_number: Nullable(Type.String()),
    card_issued_at: Nullable(Timestamp),
    card_expires_at: Nullable(Type.String({ description: "Null: permanent card (or no card)" })),
    student: Type.Boolean(),
    groups: Type.Array(Type.String()),
    tags: Type.Array(Type.String()),
    status: StringEnum(STATUSES),
    org_unit_id: Nullable(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    registered_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Member" },
);

const MemberFields = {
  external_ref: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 128 }))),
  phone: Type.Optional(Nullable(Type.String({ minLength: 3, maxLength: 32, pattern: "^\\+?[0-9 ()-]+$" }))),
  email: Type.Optional(Nullable(Type.String({ format: "email", maxLength: 254 }))),
  birthday: Type.Optional(Nullable(Birthday)),
  card_number: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  student: Type.Optional(Type.Boolean()),
  groups: Type.Optional(Type.Array(Code, { maxItems: 100, uniqueItems: true })),
  tags: Type.Optional(Type.Array(Code, { maxItems: 100, uniqueItems: true })),
  org_unit_id: Type.Optional(Nullable(IdParam)),
  metadata: Type.Optional(Metadata),
};
const MemberCreate = Obj(
  {
    name: Name,
    ...MemberFields,
    card_plan: Type.Optional(Nullable(Code)),
    tier: Type.Optional(Nullable(Code)),
    registered_at: Type.Optional(Timestamp),
  },
  {
    examples: [
      {
        name: "林小姐",
        external_ref: "crm-1001",
        phone: "13800000000",
        birthday: "03-15",
        tier: "gold",
        groups: ["vip"],
        tags: ["coffee"],
      },
    ],
  },
);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeMember(row: MemberRow, catalog: Catalog) {
  const facts = factsOf(row, catalog);
  return {
    id: row.id,
    object: "member" as const,
    external_ref: row.external_ref,
    name: row.name,
    phone: row.phone,
    email: row.email,
    birthday: birthdayText(row),
    card_plan: facts.cardPlan,
    tier: facts.tier,
    card_number: row.card_number,
    card_issued_at: iso(row.card_issued_at),
    card_expires_at: iso(row.card_expires_at),
    student: row.student,
    groups: [...facts.groups],
    tags: [...facts.tags],
    status: row.status,
    org_unit_id: row.org_unit_id,
    metadata: row.metadata,
    registered_at: row.registered_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function serializePlan(plan: CardPlanRow, tiers: CardTierRow[]) {
  return {
    id: plan.id,
    object: "card_plan" as const,
    code: plan.code,
    name: plan.name,
    validity: { kind: plan.validity_kind, days: plan.validity_days },
    tiers: tiers
      .filter((t) => t.card_plan_id === plan.id)
      .sort((a, b) => a.rank - b.rank)
      .map((t) => ({ id: t.id, code: t.code, name: t.name, rank: t.rank })),
    archived: plan.archived_at !== null,
    created_at: plan.created_at.toISOString(),
    updated_at: plan.updated_at.toISOString(),
  };
}

const serializeLabel = (object: "member_group" | "member_tag") => (row: LabelRow) => ({
  id: row.id,
  object,
  code: row.code,
  name: row.name,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

/** Members, card plans and tiers, groups and tags, and audience rules. */
export async function membersRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const ctxOf = (request: { actor: import("../../platform/auth/actor.js").Actor; id: string }) => ({
    actor: request.actor,
    requestId: request.id,
  });

  // ---- card plans -------------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/card-plans",
    config: { permission: "member_catalog.manage", idempotent: true },
    schema: {
      tags: ["members"],
      summary: "Create a card plan with its ordered tiers",
      body: Obj(
        {
          code: Code,
          name: Name,
          validity: Validity,
          tiers: Type.Array(TierIn, { maxItems: 20, description: "e.g. silver 1 < gold 2 < platinum 3" }),
        },
        {
          examples: [
            {
              code: "standard",
              name: "Standard",
              validity: { kind: "relative", days: 365 },
              tiers: [
                { code: "silver", name: "Silver", rank: 1 },
                { code: "gold", name: "Gold", rank: 2 },
                { code: "platinum", name: "Platinum", rank: 3 },
              ],
            },
          ],
        },
      ),
      response: { 201: CardPlan, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: (request) => request,
    op: async ({ trx }, _ctx, request) => {
      const { plan, tiers } = await createCardPlan(trx, ctxOf(request), request.body, clock.now());
      return serializePlan(plan, tiers);
    },
    respond: (body) => body,
  });

  app.get(
    "/v1/card-plans",
    {
      config: { permission: "members.read" },
      schema: {
        tags: ["members"],
        summary: "List card plans and their tiers (at most 100 plans)",
        response: { 200: listOf(CardPlan), ...errorResponses() },
      },
    },
    async (request) => {
      const catalog = await db.tenantTx(request.actor.tenantId, (trx) =>
        loadCatalog(trx, request.actor.tenantId),
      );
      const tiers = [...catalog.tiers.values()];
      const plans = [...catalog.plans.values()].sort((a, b) => a.id.localeCompare(b.id));
      return { object: "list" as const, data: plans.map((p) => serializePlan(p, tiers)), has_more: false };
    },
  );

  app.get(
    "/v1/card-plans/:id",
    {
      config: { permission: "members.read" },
      schema: {
        tags: ["members"],
        summary: "Get a card plan",
        params: Obj({ id: IdParam }),
        response: { 200: CardPlan, ...errorResponses() },
      },
    },
    async (request) => {
      const catalog = await db.tenantTx(request.actor.tenantId, (trx) =>
        loadCatalog(trx, request.actor.tenantId),
      );
      const plan = catalog.plans.get(request.params.id);
      if (!plan) throw new MembersError("card_plan_not_found", "Card plan not found");
      return serializePlan(plan, [...catalog.tiers.values()]);
    },
  );

  app.patch(
    "/v1/card-plans/:id",
    {
      config: { permission: "member_catalog.manage" },
      schema: {
        tags: ["members"],
        summary: "Rename, change validity (for cards issued from now), archive, add or rename tiers",
        params: Obj({ id: IdParam }),
        body: Obj(
          {
            name: Type.Optional(Name),
            validity: Type.Optional(Validity),
            archived: Type.Optional(Type.Boolean()),
            add_tiers: Type.Optional(Type.Array(TierIn, { maxItems: 20 })),
            rename_tiers: Type.Optional(Type.Array(Obj({ code: Code, name: Name }), { maxItems: 20 })),
          },
          { minProperties: 1 },
        ),
        response: { 200: CardPlan, ...errorResponses(409, 422) },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const { plan, tiers } = await updateCardPlan(
          trx,
          ctxOf(request),
          request.params.id,
          request.body,
          clock.now(),
        );
        return serializePlan(plan, tiers);
      }),
  );

  // ---- groups and tags ----------------------------------------------------------------
  for (const kind of ["group", "tag"] as const satisfies LabelKind[]) {
    const object = `member_${kind}` as const;
    const base = `/v1/member-${kind}s`;
    const Schema = Label(object);
    const serialize = serializeLabel(object);
    const table = kind === "group" ? "member_groups" : "member_tags";

    valueRoute(app, deps, {
      method: "POST",
      url: base,
      config: { permission: "member_catalog.manage", idempotent: true },
      schema: {
        tags: ["members"],
        summary:
          kind === "group" ? "Create a member group (a static list of members)" : "Create a member tag",
        body: Obj({ code: Code, name: Name }),
        response: { 201: Schema, ...errorResponses(409, 422) },
      },
      status: 201,
      batched: false,
      input: (request) => request,
      op: async ({ trx }, _ctx, request) => {
        const row = await createLabel(trx, ctxOf(request), kind, request.body, clock.now());
        return serialize(row);
      },
      respond: (body) => body,
    });

    app.get(
      base,
      {
        config: { permission: "members.read" },
        schema: {
          tags: ["members"],
          summary: `List member ${kind}s`,
          querystring: Obj({ ...ListQuery }),
          response: { 200: listOf(Schema), ...errorResponses() },
        },
      },
      async (request) => {
        const limit = pageLimit(request.query.limit);
        const rows = await db.tenantTx(request.actor.tenantId, (trx) => {
          let q = trx
            .selectFrom(table)
            .selectAll()
            .where("tenant_id", "=", request.actor.tenantId)
            .orderBy("id")
            .limit(limit + 1);
          if (request.query.starting_after) q = q.where("id", ">", request.query.starting_after);
          return q.execute();
        });
        return toPage(rows, limit, serialize);
      },
    );

    app.patch(
      `${base}/:id`,
      {
        config: { permission: "member_catalog.manage" },
        schema: {
          tags: ["members"],
          summary: `Rename a member ${kind}`,
          params: Obj({ id: IdParam }),
          body: Obj({ name: Name }),
          response: { 200: Schema, ...errorResponses() },
        },
      },
      async (request) =>
        db.tenantTx(request.actor.tenantId, async (trx) =>
          serialize(
            await renameLabel(trx, ctxOf(request), kind, request.params.id, request.body.name, clock.now()),
          ),
        ),
    );

    valueRoute(app, deps, {
      method: "POST",
      url: `${base}/:id/members`,
      config: { permission: "members.manage", idempotent: true },
      schema: {
        tags: ["members"],
        summary: `Add members to or remove them from a ${kind} (at most ${MAX_MEMBERS_PER_CHANGE} per call)`,
        params: Obj({ id: IdParam }),
        body: Obj(
          {
            add: Type.Optional(Type.Array(IdParam, { maxItems: MAX_MEMBERS_PER_CHANGE })),
            remove: Type.Optional(Type.Array(IdParam, { maxItems: MAX_MEMBERS_PER_CHANGE })),
          },
          { minProperties: 1 },
        ),
        response: {
          200: Type.Object({
            object: Type.Literal("membership_change"),
            added: Type.Integer(),
            removed: Type.Integer(),
          }),
          ...errorResponses(422),
        },
      },
      status: 200,
      batched: false,
      input: (request) => request,
      op: async ({ trx }, _ctx, request) => {
        const result = await changeLabelMembers(
          trx,
          ctxOf(request),
          kind,
          request.params.id,
          request.body,
          clock.now(),
          request.actor.orgUnitPath,
        );
        return { object: "membership_change" as const, ...result };
      },
      respond: (body) => body,
    });
  }

  // ---- members ------------------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members",
    config: { permission: "members.manage", idempotent: true },
    schema: {
      tags: ["members"],
      summary: "Register a member",
      description:
        "A card plan (or a tier, which implies its plan) issues the card now; a plan alone starts at its lowest tier.",
      body: MemberCreate,
      response: { 201: Member, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: (request) => request,
    op: async ({ trx }, _ctx, request) => {
      const catalog = await loadCatalog(trx, request.actor.tenantId);
      const row = await createMember(trx, ctxOf(request), request.body, clock.now(), { catalog });
      return serializeMember(row, catalog);
    },
    respond: (body) => body,
  });

  app.get(
    "/v1/members",
    {
      config: { permission: "members.read" },
      schema: {
        tags: ["members"],
        summary: "Search and filter members",
        querystring: Obj({
          ...ListQuery,
          q: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 100,
              description: "Prefix of name, phone, email, card number or external reference",
            }),
          ),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          card_plan: Type.Optional(Code),
          tier: Type.Optional(Code),
          min_tier: Type.Optional(Code),
          group: Type.Optional(Code),
          tag: Type.Optional(Code),
          status: Type.Optional(StringEnum(STATUSES)),
          registered_from: Type.Optional(Timestamp),
          registered_to: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(Member), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(request.actor.tenantId, async (trx) => {
        const catalog = await loadCatalog(trx, request.actor.tenantId);
        const rows = await searchMembers(trx, request.actor, catalog, request.query, limit);
        return toPage(rows, limit, (r) => serializeMember(r, catalog));
      });
    },
  );

  app.get(
    "/v1/members/:id",
    {
      config: { permission: "members.read", member: true },
      schema: {
        tags: ["members"],
        summary: "Get a member (a member token: only its own)",
        params: Obj({ id: IdParam }),
        response: { 200: Member, ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const row = await findVisibleMember(trx, request.actor, request.params.id);
        return serializeMember(row, await loadCatalog(trx, request.actor.tenantId));
      }),
  );

  app.patch(
    "/v1/members/:id",
    {
      config: { permission: "members.manage" },
      schema: {
        tags: ["members"],
        summary: "Change a member's profile, groups, tags or status (frozen, closed: final)",
        params: Obj({ id: IdParam }),
        body: Obj(
          { name: Type.Optional(Name), ...MemberFields, status: Type.Optional(StringEnum(STATUSES)) },
          { minProperties: 1 },
        ),
        response: { 200: Member, ...errorResponses(409, 422) },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const row = await updateMember(trx, ctxOf(request), request.params.id, request.body, clock.now());
        return serializeMember(row, await loadCatalog(trx, request.actor.tenantId));
      }),
  );

  app.post(
    "/v1/members/:id/change-tier",
    {
      config: { permission: "members.manage", idempotent: true },
      schema: {
        tags: ["members"],
        summary: "Move a member to another tier or card plan, with the reason",
        params: Obj({ id: IdParam }),
        body: Obj({
          card_plan: Type.Optional(Code),
          tier: Type.Optional(Code),
          reason: StringEnum(TIER_REASONS),
          reference: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, description: "e.g. the top-up or package id" }),
          ),
        }),
        response: { 200: Member, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      if (!request.body.card_plan && !request.body.tier) {
        throw new MembersError("validation_failed", "Give a tier, a card plan, or both");
      }
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(request.actor.tenantId, async (trx) => {
          const { member } = await changeMemberTier(
            trx,
            ctxOf(request),
            request.params.id,
            request.body,
            clock.now(),
          );
          return record(trx, 200, serializeMember(member, await loadCatalog(trx, request.actor.tenantId)));
        }),
      );
    },
  );

  app.get(
    "/v1/members/:id/tier-changes",
    {
      config: { permission: "members.read" },
      schema: {
        tags: ["members"],
        summary: "A member's tier history, newest first",
        params: Obj({ id: IdParam }),
        querystring: Obj({ ...ListQuery }),
        response: {
          200: listOf(
            Type.Object({
              id: Type.String(),
              object: Type.Literal("tier_change"),
              from_card_plan: Nullable(Type.String()),
              from_tier: Nullable(Type.String()),
              to_card_plan: Nullable(Type.String()),
              to_tier: Nullable(Type.String()),
              reason: Type.String(),
              reference: Nullable(Type.String()),
              actor_type: Type.String(),
              actor_id: Type.String(),
              created_at: Timestamp,
            }),
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(request.actor.tenantId, async (trx) => {
        await findVisibleMember(trx, request.actor, request.params.id);
        const catalog = await loadCatalog(trx, request.actor.tenantId);
        let q = trx
          .selectFrom("member_tier_changes")
          .selectAll()
          .where("tenant_id", "=", request.actor.tenantId)
          .where("member_id", "=", request.params.id)
          .orderBy("id", "desc")
          .limit(limit + 1);
        if (request.query.starting_after) q = q.where("id", "<", request.query.starting_after);
        const code = (id: string | null, map: Map<string, { code: string }>) =>
          id ? (map.get(id)?.code ?? null) : null;
        return toPage(await q.execute(), limit, (r) => ({
          id: r.id,
          object: "tier_change" as const,
          from_card_plan: code(r.from_plan_id, catalog.plans),
          from_tier: code(r.from_tier_id, catalog.tiers),
          to_card_plan: code(r.to_plan_id, catalog.plans),
          to_tier: code(r.to_tier_id, catalog.tiers),
          reason: r.reason,
          reference: r.reference,
          actor_type: r.actor_type,
          actor_id: r.actor_id,
          created_at: r.created_at.toISOString(),
        }));
      });
    },
  );

  app.post(
    "/v1/members/import",
    {
      config: { permission: "members.manage", idempotent: true },
      bodyLimit: Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 4096,
      schema: {
        tags: ["members"],
        summary: `Import new members from an xlsx or CSV file (at most ${MAX_IMPORT_ROWS} rows): all or none`,
        description: `Header row columns: ${IMPORT_COLUMNS.join(", ")} (name required; groups and tags separated by commas). A bad row refuses the whole import, listing each bad row.`,
        body: Obj({
          format: StringEnum(["xlsx", "csv"] as const),
          content_base64: Type.String({
            minLength: 4,
            maxLength: Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 4,
            contentEncoding: "base64",
          }),
        }),
        response: {
          201: Type.Object({
            object: Type.Literal("member_import"),
            created: Type.Integer(),
            member_ids: Type.Array(Type.String()),
          }),
          ...errorResponses(409, 422),
        },
      },
    },
    async (request, reply) => {
      const rows = await readImportFile(
        request.body.format,
        Buffer.from(request.body.content_base64, "base64"),
      );
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(request.actor.tenantId, async (trx) => {
          const result = await importMembers(trx, ctxOf(request), rows, clock.now());
          return record(trx, 201, { object: "member_import" as const, ...result });
        }),
      );
    },
  );

  // ---- audience rules -----------------------------------------------------------------
  app.post(
    "/v1/audience-rules/check",
    {
      config: { permission: "members.read" },
      schema: {
        tags: ["members"],
        summary: "Check an audience rule: is it valid, and does it reach these members?",
        body: Obj({ rule: AudienceRule, member_ids: Type.Array(IdParam, { minItems: 1, maxItems: 100 }) }),
        response: {
          200: Type.Object({
            object: Type.Literal("audience_check"),
            results: Type.Array(Type.Object({ member_id: Type.String(), matches: Type.Boolean() })),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const tenantId = request.actor.tenantId;
        await validateAudienceRule(trx, tenantId, request.body.rule);
        const catalog = await loadCatalog(trx, tenantId);
        const tiers = await loadTierCatalog(trx, tenantId);
        const results = [];
        for (const memberId of request.body.member_ids) {
          const row = await findVisibleMember(trx, request.actor, memberId);
          results.push({
            member_id: memberId,
            matches: audienceMatches(request.body.rule, factsOf(row, catalog), tiers),
          });
        }
        return { object: "audience_check" as const, results };
      }),
  );
}
