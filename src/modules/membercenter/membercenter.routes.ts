import type { AppDeps, RouteApp } from "../../app-types.js";
import { AttemptLimiter, clientAddressKey, TooManyAttempts } from "../../platform/auth/throttle.js";
import { errorResponses } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { realNow } from "../../shared/clock.js";
import { DomainError } from "../../shared/errors.js";
import { createLink } from "./create-link.js";
import { lookOf, lookQuery } from "./membercenter.repository.js";
import {
  Branding,
  Link,
  LinkBody,
  Me,
  Session,
  SessionBody,
  Settings,
  SettingsBody,
  serializeSettings,
  TenantParams,
} from "./membercenter.schemas.js";
import { brandingView, meView } from "./membercenter-views.js";
import { startSession } from "./start-session.js";
import { updateSettings } from "./update-settings.js";

const tags = ["member center"];

/** Links into the member center, trading their code for a member token, and the page's look. */
export async function memberCenterRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  // Codes that match no link, per client address: a guesser is refused for the rest of the
  // minute. Used and expired links do not count: those are members reopening an old link.
  const codeGuesses = new AttemptLimiter(deps.config.authFailuresPerMinute, clock);

  app.post(
    "/v1/member-center/links",
    {
      config: { permission: "member_center.link", errors: ["member_not_found", "member_closed"] },
      schema: {
        operationId: "createMemberCenterLink",
        tags,
        summary: "A one-time link into the member center for one member (the merchant's backend)",
        description:
          "Redirect the member to `url`. Its code works once and for 5 minutes; the page trades it for a short-lived member token, so no lasting credential is ever in a URL.",
        body: LinkBody,
        response: { 201: Link, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const input = { memberId: request.body.member_id, page: request.body.page ?? "home" };
      const link = await db.tenantTx(ctx.actor.tenantId, (trx) =>
        createLink(trx, ctx, input, clock.now(), realNow(clock)),
      );
      reply.status(201);
      return {
        object: "member_center_link" as const,
        member_id: link.memberId,
        url: `${request.publicOrigin}${link.path}`,
        path: link.path,
        expires_at: link.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    "/v1/member-center/sessions",
    {
      config: {
        public: true,
        errors: [
          "member_center_code_not_found",
          "member_center_code_used",
          "member_center_code_expired",
          "member_closed",
          "member_not_found",
        ],
      },
      schema: {
        operationId: "startMemberCenterSession",
        tags,
        security: [],
        summary: "Trade a member-center link's one-time code for a short-lived member token",
        description:
          "The member-center page calls this with the code from its URL. A second use answers 409 member_center_code_used, a late one 410 member_center_code_expired.",
        body: SessionBody,
        response: { 201: Session, ...errorResponses(409, 410, 422) },
      },
    },
    async (request, reply) => {
      const { tenant_id: tenantId, code } = request.body;
      const input = {
        tenantId,
        code,
        signingSecret: deps.config.signingSecret,
        ttlSeconds: deps.config.memberTokenTtlSeconds,
      };
      const address = clientAddressKey(request.ip);
      const wait = codeGuesses.retryAfter(address);
      if (wait > 0) throw new TooManyAttempts(wait, "member-center codes that match no link");
      const session = await db
        .tenantTx(tenantId, (trx) => startSession(trx, input, clock.now()))
        .catch((error: unknown) => {
          if (error instanceof DomainError && error.code === "member_center_code_not_found") {
            codeGuesses.hit(address);
          }
          throw error;
        });
      reply.status(201);
      return {
        object: "member_center_session" as const,
        token: session.token,
        member_id: session.memberId,
        page: session.page,
        expires_at: session.expiresAt.toISOString(),
      };
    },
  );

  app.get(
    "/v1/member-center/tenants/:tenant_id/branding",
    {
      config: { public: true, errors: ["member_center_not_found"] },
      schema: {
        operationId: "getMemberCenterBranding",
        tags,
        security: [],
        summary: "The member center's name, logo, colour, currency, time zone and locale (public)",
        params: TenantParams,
        response: { 200: Branding, ...errorResponses() },
      },
    },
    async ({ params }) =>
      db.tenantTx(params.tenant_id, (trx) => brandingView(trx, params.tenant_id, clock.now())),
  );

  app.get(
    "/v1/member-center/me",
    {
      config: { member: true, errors: ["member_not_found"] },
      schema: {
        operationId: "getMemberCenterMember",
        tags,
        summary: "The signed-in member's card and points (member tokens only)",
        response: { 200: Me, ...errorResponses() },
      },
    },
    async ({ actor }) => meView(db, actor, clock.now()),
  );

  app.get(
    "/v1/member-center-settings",
    {
      config: { permission: "member_center.read" },
      schema: {
        operationId: "getMemberCenterSettings",
        tags,
        summary: "The member center's logo and colour",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async ({ actor }) =>
      serializeSettings(lookOf(await db.tenantQuery(actor.tenantId, lookQuery(db.kysely, actor.tenantId)))),
  );

  valueRoute(app, deps, {
    method: "PUT",
    url: "/v1/member-center-settings",
    config: { permission: "member_center.settings", tenantWide: true, idempotent: true },
    schema: {
      operationId: "updateMemberCenterSettings",
      tags,
      summary: "Set the member center's logo and colour (null: the default)",
      body: SettingsBody,
      response: { 200: Settings, ...errorResponses(422) },
    },
    status: 200,
    batched: false,
    input: ({ body }) => ({ brandColor: body.brand_color, logoUrl: body.logo_url }),
    op: (uow, ctx, input, now) => updateSettings(uow.trx, ctx, input, now),
    respond: serializeSettings,
  });
}
