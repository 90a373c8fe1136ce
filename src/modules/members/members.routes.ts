import type { AppDeps, RouteApp } from "../../app-types.js";
import { errorResponses, ListQuery, listOf, Obj } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { realNow } from "../../shared/clock.js";
import { createCardPlan, updateCardPlan } from "./card-plans.js";
import { changeMemberTier } from "./change-member-tier.js";
import { createMember } from "./create-member.js";
import {
  importMembers,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROW_CELLS,
  MAX_IMPORT_ROWS,
  MAX_IMPORT_UNPACKED_BYTES,
  readImportFile,
} from "./import-members.js";
import {
  changeLabelMembers,
  createLabel,
  type LabelKind,
  MAX_MEMBERS_PER_CHANGE,
  renameLabel,
} from "./labels.js";
import {
  checkAudience,
  findMembers,
  listCardPlans,
  listLabels,
  listTierChanges,
  showCardPlan,
  showMember,
} from "./member-views.js";
import { MembersError } from "./members.errors.js";
import { loadCatalog } from "./members.repository.js";
import {
  AudienceCheck,
  AudienceCheckBody,
  CardPlan,
  CardPlanBody,
  CardPlanPatch,
  ChangeTierBody,
  Code,
  IdParams,
  IMPORT_HEADER,
  ImportAnswer,
  ImportBody,
  Label,
  LabelMembersBody,
  Member,
  MemberCreate,
  MemberPatch,
  MemberQuery,
  MembershipChange,
  Name,
  serializeLabel,
  serializeMember,
  serializePlan,
  TierChange,
} from "./members.schemas.js";
import { updateMember } from "./update-member.js";

/** Members, card plans and tiers, groups and tags, and audience rules. */
export async function membersRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["members"];

  // ---- card plans -------------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/card-plans",
    config: { permission: "member_catalog.manage", idempotent: true },
    schema: {
      tags,
      summary: "Create a card plan with its ordered tiers",
      body: CardPlanBody,
      response: { 201: CardPlan, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ body }) => body,
    op: ({ trx }, ctx, input, now) => createCardPlan(trx, ctx, input, now),
    respond: ({ plan, tiers }) => serializePlan(plan, tiers),
  });

  app.get(
    "/v1/card-plans",
    {
      config: { permission: "members.read" },
      schema: {
        tags,
        summary: "List card plans and their tiers (at most 100 plans)",
        response: { 200: listOf(CardPlan), ...errorResponses() },
      },
    },
    async ({ actor }) => listCardPlans(db, actor.tenantId),
  );

  app.get(
    "/v1/card-plans/:id",
    {
      config: { permission: "members.read" },
      schema: {
        tags,
        summary: "Get a card plan",
        params: IdParams,
        response: { 200: CardPlan, ...errorResponses() },
      },
    },
    async ({ actor, params }) => showCardPlan(db, actor.tenantId, params.id),
  );

  app.patch(
    "/v1/card-plans/:id",
    {
      config: { permission: "member_catalog.manage" },
      schema: {
        tags,
        summary: "Rename, change validity (for cards issued from now), archive, add or rename tiers",
        params: IdParams,
        body: CardPlanPatch,
        response: { 200: CardPlan, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const { plan, tiers } = await db.tenantTx(request.actor.tenantId, (trx) =>
        updateCardPlan(trx, contextOf(request), request.params.id, request.body, clock.now()),
      );
      return serializePlan(plan, tiers);
    },
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
        tags,
        summary:
          kind === "group" ? "Create a member group (a static list of members)" : "Create a member tag",
        body: Obj({ code: Code, name: Name }),
        response: { 201: Schema, ...errorResponses(409, 422) },
      },
      status: 201,
      batched: false,
      input: ({ body }) => body,
      op: ({ trx }, ctx, input, now) => createLabel(trx, ctx, kind, input, now),
      respond: serialize,
    });

    app.get(
      base,
      {
        config: { permission: "members.read" },
        schema: {
          tags,
          summary: `List member ${kind}s`,
          querystring: Obj({ ...ListQuery }),
          response: { 200: listOf(Schema), ...errorResponses() },
        },
      },
      async ({ actor, query }) => listLabels(db, actor.tenantId, table, query, serialize),
    );

    app.patch(
      `${base}/:id`,
      {
        config: { permission: "member_catalog.manage" },
        schema: {
          tags,
          summary: `Rename a member ${kind}`,
          params: IdParams,
          body: Obj({ name: Name }),
          response: { 200: Schema, ...errorResponses() },
        },
      },
      async (request) =>
        serialize(
          await db.tenantTx(request.actor.tenantId, (trx) =>
            renameLabel(trx, contextOf(request), kind, request.params.id, request.body.name, clock.now()),
          ),
        ),
    );

    valueRoute(app, deps, {
      method: "POST",
      url: `${base}/:id/members`,
      config: { permission: "members.manage", idempotent: true },
      schema: {
        tags,
        summary: `Add members to or remove them from a ${kind} (at most ${MAX_MEMBERS_PER_CHANGE} per call)`,
        description:
          "An unknown member, or one outside the caller's org unit, refuses the whole change. A closed member is final (as `PATCH /v1/members/{id}` refuses it): it is neither added nor removed, and is listed in `skipped` with reason `member_closed`.",
        params: IdParams,
        body: LabelMembersBody,
        response: { 200: MembershipChange, ...errorResponses(422) },
      },
      status: 200,
      batched: false,
      input: ({ params, body }) => ({ labelId: params.id, change: body }),
      op: ({ trx }, ctx, input, now) =>
        changeLabelMembers(trx, ctx, kind, input.labelId, input.change, now, ctx.actor.orgUnitPath),
      respond: (result) => ({ object: "membership_change" as const, ...result }),
    });
  }

  // ---- members ------------------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members",
    config: { permission: "members.manage", idempotent: true },
    schema: {
      tags,
      summary: "Register a member",
      description:
        "A card plan (or a tier, which implies its plan) issues the card now; a plan alone starts at its lowest tier.",
      body: MemberCreate,
      response: { 201: Member, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ body }) => body,
    op: async ({ trx }, ctx, input, now) => {
      const catalog = await loadCatalog(trx, ctx.actor.tenantId);
      return { row: await createMember(trx, ctx, input, now, { catalog }), catalog };
    },
    respond: ({ row, catalog }) => serializeMember(row, catalog),
  });

  app.get(
    "/v1/members",
    {
      config: { permission: "members.read" },
      schema: {
        tags,
        summary: "Search and filter members",
        querystring: MemberQuery,
        response: { 200: listOf(Member), ...errorResponses() },
      },
    },
    async ({ actor, query }) => findMembers(db, actor, query),
  );

  app.get(
    "/v1/members/:id",
    {
      config: { permission: "members.read", member: true, errors: ["member_not_found"] },
      schema: {
        tags,
        summary: "Get a member (a member token: only its own)",
        params: IdParams,
        response: { 200: Member, ...errorResponses() },
      },
    },
    async ({ actor, params }) => showMember(db, actor, params.id),
  );

  app.patch(
    "/v1/members/:id",
    {
      config: { permission: "members.manage" },
      schema: {
        tags,
        summary: "Change a member's profile, groups, tags or status (frozen, closed: final)",
        description:
          "Closing is final and is refused with 409 `member_balance_not_settled` (principal, bonus, held and available in the problem) while the member holds any balance, held amounts included: withdraw it first (`POST /v1/members/{id}/withdrawals`) or let held payments finish. Points do not stop a close. A member holding a live voucher issued by an org unit keeps an org unit inside that unit's subtree: another `org_unit_id` (or none) is refused with 409 `member_voucher_outstanding` until the voucher is used, expires or is withdrawn.",
        params: IdParams,
        body: MemberPatch,
        response: { 200: Member, ...errorResponses(409, 422) },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const row = await updateMember(
          trx,
          contextOf(request),
          request.params.id,
          request.body,
          clock.now(),
          realNow(clock),
        );
        return serializeMember(row, await loadCatalog(trx, request.actor.tenantId));
      }),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/change-tier",
    config: { permission: "members.manage", idempotent: true },
    schema: {
      tags,
      summary: "Move a member to another tier or card plan, with the reason",
      params: IdParams,
      body: ChangeTierBody,
      response: { 200: Member, ...errorResponses(422) },
    },
    status: 200,
    batched: false,
    guard: ({ body }) => {
      if (!body.card_plan && !body.tier) {
        throw new MembersError("validation_failed", "Give a tier, a card plan, or both");
      }
    },
    input: ({ params, body }) => ({ memberId: params.id, change: body }),
    op: async ({ trx }, ctx, input, now) =>
      (await changeMemberTier(trx, ctx, input.memberId, input.change, now, { refuseArchived: true })).member,
    respond: async (member, { trx }) => serializeMember(member, await loadCatalog(trx, member.tenant_id)),
  });

  app.get(
    "/v1/members/:id/tier-changes",
    {
      config: { permission: "members.read" },
      schema: {
        tags,
        summary: "A member's tier history, newest first",
        params: IdParams,
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(TierChange), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => listTierChanges(db, actor, params.id, query),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/import",
    config: { permission: "members.manage", idempotent: true },
    bodyLimit: Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 4096,
    schema: {
      tags,
      summary: `Import new members from an xlsx or CSV file (at most ${MAX_IMPORT_ROWS} rows): all or none`,
      description:
        `Header row columns: ${IMPORT_HEADER} (name required; groups and tags separated by commas). A bad row refuses the whole import, listing each bad row. ` +
        `The file is at most ${MAX_IMPORT_BYTES / 1024 / 1024} MiB; an xlsx must unpack to at most ${MAX_IMPORT_UNPACKED_BYTES / 1024 / 1024} MiB (import_too_large); a row reaches at most ${MAX_IMPORT_ROW_CELLS} cells across (import_invalid). An xlsx's first tab is read.`,
      body: ImportBody,
      response: { 201: ImportAnswer, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    // The file is read before the unit: parsing takes no locks.
    input: ({ body }) => readImportFile(body.format, Buffer.from(body.content_base64, "base64")),
    op: ({ trx }, ctx, rows, now) => importMembers(trx, ctx, rows, now),
    respond: (result) => ({ object: "member_import" as const, ...result }),
  });

  // ---- audience rules -----------------------------------------------------------------
  app.post(
    "/v1/audience-rules/check",
    {
      config: { permission: "members.read" },
      schema: {
        tags,
        summary: "Check an audience rule: is it valid, and does it reach these members?",
        body: AudienceCheckBody,
        response: { 200: AudienceCheck, ...errorResponses() },
      },
    },
    async ({ actor, body }) =>
      db.tenantTx(actor.tenantId, (trx) => checkAudience(trx, actor, body.rule, body.member_ids)),
  );
}
