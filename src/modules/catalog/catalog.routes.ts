import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { IMAGE_MEDIA_TYPES, IMAGE_RESPONSE_HEADERS } from "../../platform/files/image-check.js";
import { MAX_IMAGE_BYTES } from "../../platform/files/images.js";
import { imageShownToMembers } from "../../platform/files/member-images.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { findVisibleMember } from "../members/index.js";
import { agreementRoutes } from "./agreements.routes.js";
import { CatalogError } from "./catalog.errors.js";
import { IMAGE_PURPOSES } from "./catalog.repository.js";
import {
  Entitlement,
  Image,
  MemberBenefit,
  serializeEntitlement,
  serializeImage,
  serializeMemberBenefit,
} from "./catalog.schemas.js";
import { memberEntitlements } from "./entitlements.js";
import { giftRoutes } from "./gifts.routes.js";
import { findImage } from "./images.js";
import { heldBenefits } from "./member-benefits.js";
import { saveImage } from "./save-image.js";
import { assertTenantWide } from "./tenant-wide.js";

const IMAGE_CACHE_CONTROL = "private, max-age=31536000, immutable";

/** Images, agreements, gift templates and voucher packages, members' entitlements. */
export async function catalogRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;

  // Images arrive as the raw bytes; the route's body limit is the largest purpose's limit.
  app.addContentTypeParser(
    [...IMAGE_MEDIA_TYPES],
    { parseAs: "buffer", bodyLimit: MAX_IMAGE_BYTES },
    (_r, body, done) => done(null, body),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/images",
    config: {
      permission: "catalog.manage",
      idempotent: true,
      errors: ["catalog_scoped_actor", "unsupported_media_type", "invalid_image"],
    },
    bodyLimit: MAX_IMAGE_BYTES,
    schema: {
      operationId: "uploadImage",
      tags: ["catalog"],
      summary: "Upload an image for a purpose (package cover, card design, detail, …): the body is the image",
      description:
        "PNG, JPEG, WebP or SVG; content checked against the Content-Type (SVGs with active content are refused); benefit_icon ≤ 1 MiB, other purposes ≤ 2 MiB. Plans name the returned id (e.g. a package's cover_image_id).",
      querystring: Obj({ purpose: StringEnum(IMAGE_PURPOSES) }),
      response: { 201: Image, ...errorResponses(415, 422) },
    },
    status: 201,
    input: (request, ctx) => {
      assertTenantWide(ctx.actor);
      if (!Buffer.isBuffer(request.body)) {
        throw new CatalogError(
          "unsupported_media_type",
          "An image is uploaded as image/png, image/jpeg, image/webp or image/svg+xml",
        );
      }
      return {
        purpose: request.query.purpose,
        declaredType: String(request.headers["content-type"] ?? ""),
        bytes: request.body,
      };
    },
    op: saveImage,
    respond: serializeImage,
  });

  app.get(
    "/v1/images/:id",
    {
      config: { permission: "catalog.read", member: true, errors: ["image_not_found"] },
      schema: {
        operationId: "getImage",
        tags: ["catalog"],
        summary: "Download an image (served with a sandboxing Content-Security-Policy)",
        description:
          "Staff read any image of the tenant. A member token reads only an image the member center shows: the cover of an active package, of an active shown top-up plan or of an active smart top-up plan, or the design of an active gift card plan sold online; any other answers 404, as an absent one does. An image never changes under its id: the answer may be kept (Cache-Control immutable) and its ETag is the content's SHA-256 (If-None-Match answers 304). A student ID photo is not served here (404): read it with its verification, GET /v1/student-verifications/{id}/image.",
        params: Obj({ id: IdParam }),
        response: {
          200: Type.Unsafe({ type: "string", format: "binary" }),
          304: Type.Null({ description: "Not modified: If-None-Match names the image's ETag" }),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const image = await db.tenantTx(actor.tenantId, async (trx) => {
        // A member sees plans, not the catalog's uploads: an image no visible plan shows stays staff-only.
        if (actor.type === "member" && !(await imageShownToMembers(trx, actor.tenantId, request.params.id))) {
          throw new CatalogError("image_not_found", "Image not found");
        }
        return findImage(trx, actor.tenantId, request.params.id);
      });
      // A student ID is personal: it is served only with its verification, whose route checks
      // that the caller sees its member (a member's own, or staff in that member's scope).
      if (image.purpose === "student_id") {
        throw new CatalogError("image_not_found", "Image not found");
      }
      const etag = `"${image.sha256}"`;
      // Bytes never change under an id; "private" because reading one takes credentials.
      reply.headers(IMAGE_RESPONSE_HEADERS).header("etag", etag).header("cache-control", IMAGE_CACHE_CONTROL);
      if (request.headers["if-none-match"] === etag) return reply.code(304).send(null);
      reply.type(image.media_type);
      return reply.send(image.bytes);
    },
  );

  app.get(
    "/v1/members/:member_id/entitlements",
    {
      config: { permission: "catalog.read", member: true, errors: ["member_not_found"] },
      schema: {
        operationId: "listMemberEntitlements",
        tags: ["catalog"],
        summary: "A member's benefits held through purchases (active and upcoming), with what gave each",
        description:
          "Staff who see the member, or the member's own token. The checkout counts each as an audience match inside its window.",
        params: Obj({ member_id: IdParam }),
        querystring: Obj(ListQuery),
        response: { 200: listOf(Entitlement), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const limit = pageLimit(request.query.limit);
      const now = clock.now();
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, request.params.member_id);
        return memberEntitlements(trx, actor.tenantId, request.params.member_id, now, {
          startingAfter: request.query.starting_after,
          limit,
        });
      });
      return toPage(rows, limit, (row) => serializeEntitlement(row, now));
    },
  );

  app.get(
    "/v1/members/:member_id/benefits",
    {
      config: { permission: "catalog.read", member: true, errors: ["member_not_found"] },
      schema: {
        operationId: "listMemberBenefits",
        tags: ["catalog"],
        summary:
          "The benefits a member holds now: by membership (card plan, tier, group, tag) or through a purchase",
        description:
          "What the member center shows as the member's benefits: every active benefit whose audience takes the member, and every one held through a package period or a top-up's bonus benefits (with what gave it and until when). A deactivated benefit is not listed; a closed member holds none. Staff who see the member, or the member's own token; ordered by benefit id.",
        params: Obj({ member_id: IdParam }),
        querystring: Obj(ListQuery),
        response: { 200: listOf(MemberBenefit), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const limit = pageLimit(request.query.limit);
      const after = request.query.starting_after;
      const held = await db.tenantTx(actor.tenantId, async (trx) => {
        const member = await findVisibleMember(trx, actor, request.params.member_id);
        return heldBenefits(trx, actor.tenantId, member, clock.now());
      });
      const rest = after === undefined ? held : held.filter((h) => h.benefit.id > after);
      return toPage(rest.slice(0, limit + 1), limit, serializeMemberBenefit);
    },
  );

  agreementRoutes(app, deps);
  giftRoutes(app, deps);
}
