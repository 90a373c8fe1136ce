import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { IMAGE_MEDIA_TYPES, IMAGE_RESPONSE_HEADERS } from "../../platform/files/image-check.js";
import { pageQuery } from "../../platform/http/pagination.js";
import { errorResponses, listOf } from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { findImage } from "../catalog/index.js";
import { findVisibleMember } from "../members/index.js";
import { approveVerification } from "./approve-verification.js";
import { rejectVerification } from "./reject-verification.js";
import { studentDashboard } from "./student-dashboard.js";
import { verificationPage } from "./student-views.js";
import { StudentsError } from "./students.errors.js";
import {
  findVerification,
  isOwnStudentIdImage,
  loadSettings,
  memberVerification,
  verificationQuery,
} from "./students.repository.js";
import {
  Dashboard,
  IdParams,
  MemberParams,
  MemberStudentStatus,
  RejectBody,
  Settings,
  SettingsBody,
  StudentImage,
  SubmitBody,
  serializeSettings,
  serializeVerification,
  Verification,
  VerificationPageView,
  VerificationQuery,
} from "./students.schemas.js";
import { submitVerification } from "./submit-verification.js";
import { updateStudentSettings } from "./update-student-settings.js";
import { STUDENT_ID_MAX_BYTES, uploadStudentId } from "./upload-student-id.js";

/** Submitting (the photo, the verification): the member's own token or staff who see the member. */
const SUBMIT = {
  permission: "students.submit",
  member: true,
  idempotent: true,
  errors: ["member_not_found", "member_closed", "member_frozen"],
};

/** An approved verification, as the approve route answers. */
const VERIFIED_EXAMPLE = {
  id: "stv_01jd3m2x4y5z6a7b8c9d0e1f2g",
  object: "student_verification",
  member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
  school: "Fudan University",
  student_number: "22300180042",
  graduation_date: "2028-06-30",
  image_id: "img_01jd3m2x4y5z6a7b8c9d0e1f2g",
  status: "approved",
  submitted_by: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
  submitted_at: "2026-03-01T02:00:00.000Z",
  reviewed_by: "key_01jd3m2x4y5z6a7b8c9d0e1f2g",
  reviewed_at: "2026-03-01T03:00:00.000Z",
  reject_reason: null,
  valid_from: "2026-03-01T03:00:00.000Z",
  valid_until: "2026-09-01T03:00:00.000Z",
  end_reason: null,
  ended_at: null,
  reminder_sent_at: null,
  gift_grant_id: "ggr_01jd3m2x4y5z6a7b8c9d0e1f2g",
};

/** A verification the actor may see: staff who see its member, or the member's own token. */
async function visibleVerification(trx: Tx, actor: Actor, id: string) {
  const row = await findVerification(trx, actor.tenantId, id);
  await findVisibleMember(trx, actor, row.member_id).catch(() => {
    throw new StudentsError("student_verification_not_found", "Student verification not found");
  });
  return row;
}

/** Student ID: the ID photo, verifications and their review, settings, dashboard, the verification page. */
export async function studentsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["students"];
  const read = <T>(actor: Actor, fn: (trx: Tx) => Promise<T>) => db.tenantTx(actor.tenantId, fn);

  app.addContentTypeParser(
    [...IMAGE_MEDIA_TYPES],
    { parseAs: "buffer", bodyLimit: STUDENT_ID_MAX_BYTES },
    (_r, body, done) => done(null, body),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:member_id/student-id-images",
    config: {
      ...SUBMIT,
      errors: [...SUBMIT.errors, "unsupported_media_type", "invalid_image", "too_many_student_id_images"],
    },
    bodyLimit: STUDENT_ID_MAX_BYTES,
    schema: {
      operationId: "uploadStudentIdImage",
      tags,
      summary:
        "Upload a photo of a member's student ID (the member's own token or staff): the body is the image",
      description:
        "PNG, JPEG, WebP or SVG up to 2 MiB, checked by content. Submit its id with the verification; a member holds at most 10 photos not yet submitted.",
      params: MemberParams,
      response: { 201: StudentImage, ...errorResponses(415, 422) },
    },
    status: 201,
    input: (request) => {
      if (!Buffer.isBuffer(request.body)) {
        throw new StudentsError(
          "unsupported_media_type",
          "A student ID photo is uploaded as image/png, image/jpeg, image/webp or image/svg+xml",
        );
      }
      return {
        memberId: request.params.member_id,
        declaredType: String(request.headers["content-type"] ?? ""),
        bytes: request.body,
      };
    },
    op: uploadStudentId,
    respond: (image) => ({
      id: image.id,
      object: "image" as const,
      purpose: "student_id" as const,
      media_type: image.media_type,
      size: image.size,
      sha256: image.sha256,
      created_at: image.created_at.toISOString(),
    }),
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/student-verifications",
    config: {
      ...SUBMIT,
      errors: [...SUBMIT.errors, "invalid_image", "graduation_date_passed", "student_verification_pending"],
    },
    schema: {
      operationId: "submitStudentVerification",
      tags,
      summary: "Submit a student ID for review (the member's own token, or staff for a member)",
      description:
        "One pending verification per member. A member who is a student now may verify again; the approval replaces the current one.",
      body: SubmitBody,
      response: { 201: Verification, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ body }) => ({
      memberId: body.member_id,
      school: body.school,
      studentNumber: body.student_number,
      graduationDate: body.graduation_date,
      imageId: body.image_id,
    }),
    op: submitVerification,
    respond: serializeVerification,
  });

  app.get(
    "/v1/student-verifications",
    {
      config: { permission: "students.read", tenantWide: true },
      schema: {
        operationId: "listStudentVerifications",
        tags,
        summary: "The review queue: verifications by status (pending: oldest first), or a member's history",
        querystring: VerificationQuery,
        response: { 200: listOf(Verification), ...errorResponses() },
      },
    },
    async ({ actor, query }) =>
      read(actor, (trx) =>
        pageQuery(
          verificationQuery(trx, actor.tenantId, { status: query.status, memberId: query.member_id }),
          query,
          serializeVerification,
          // The queue is worked oldest first; a history reads newest first.
          { by: "v.id", desc: query.status !== "pending" },
        ),
      ),
  );

  app.get(
    "/v1/student-verifications/:id",
    {
      config: { permission: "students.read", member: true, errors: ["student_verification_not_found"] },
      schema: {
        operationId: "getStudentVerification",
        tags,
        summary: "Get a verification (staff who see the member, or the member's own token)",
        params: IdParams,
        response: { 200: Verification, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      serializeVerification(await read(actor, (trx) => visibleVerification(trx, actor, params.id))),
  );

  app.get(
    "/v1/student-verifications/:id/image",
    {
      config: { permission: "students.read", member: true, errors: ["student_verification_not_found"] },
      schema: {
        operationId: "getStudentVerificationImage",
        tags,
        summary: "Download the student ID photo of a verification (for the reviewer, or the member)",
        params: IdParams,
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses() },
      },
    },
    async ({ actor, params }, reply) => {
      const image = await read(actor, async (trx) => {
        const row = await visibleVerification(trx, actor, params.id);
        // A verification submitted before photos were bound to their member may name
        // another member's photo: it is not served through it.
        if (!(await isOwnStudentIdImage(trx, actor.tenantId, row.image_id, row.member_id))) {
          throw new StudentsError("student_verification_not_found", "Student verification not found");
        }
        return findImage(trx, actor.tenantId, row.image_id);
      });
      reply.type(image.media_type).headers(IMAGE_RESPONSE_HEADERS).header("etag", `"${image.sha256}"`);
      return reply.send(image.bytes);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/student-verifications/:id/approve",
    config: {
      permission: "students.review",
      tenantWide: true,
      idempotent: true,
      errors: [
        "student_verification_not_found",
        "student_verification_not_pending",
        "graduation_date_passed",
        "member_closed",
        "member_frozen",
        "member_tag_not_found",
        "member_group_not_found",
        "invalid_gift",
      ],
    },
    schema: {
      operationId: "approveStudentVerification",
      tags,
      summary:
        "Approve a verification: the member is a student until now + validity, or graduation if earlier",
      description:
        "Sets the member's student flag, tag and group, replaces a current approval, and gives the verification gift by the settings' rule (first verification only, or every one) — in one transaction. The expiration reminder is scheduled reminder_days_before the end, unless that is less than a day after the approval (a graduation date inside the lead): then the approval gets none, its answer already saying when it ends.",
      params: IdParams,
      response: {
        200: { ...Verification, examples: [VERIFIED_EXAMPLE] },
        ...errorResponses(409, 422),
      },
    },
    status: 200,
    input: ({ params }) => ({ id: params.id }),
    op: approveVerification,
    respond: serializeVerification,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/student-verifications/:id/reject",
    config: {
      permission: "students.review",
      tenantWide: true,
      idempotent: true,
      errors: ["student_verification_not_found", "student_verification_not_pending"],
    },
    schema: {
      operationId: "rejectStudentVerification",
      tags,
      summary: "Reject a verification with a reason; the member may submit again",
      params: IdParams,
      body: RejectBody,
      response: { 200: Verification, ...errorResponses(409, 422) },
    },
    status: 200,
    batched: false,
    input: ({ params, body }) => ({ id: params.id, reason: body.reason }),
    op: rejectVerification,
    respond: serializeVerification,
  });

  app.get(
    "/v1/members/:member_id/student-status",
    {
      config: { permission: "students.read", member: true, errors: ["member_not_found"] },
      schema: {
        operationId: "getMemberStudentStatus",
        tags,
        summary: "Whether a member is a student now, with the current approval and any pending submission",
        params: MemberParams,
        response: { 200: MemberStudentStatus, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      read(actor, async (trx) => {
        const member = await findVisibleMember(trx, actor, params.member_id);
        const current = await memberVerification(trx, actor.tenantId, member.id, "approved");
        const pending = await memberVerification(trx, actor.tenantId, member.id, "pending");
        return {
          object: "student_status" as const,
          member_id: member.id,
          student: member.student,
          current: current ? serializeVerification(current) : null,
          pending: pending ? serializeVerification(pending) : null,
        };
      }),
  );

  app.get(
    "/v1/student-settings",
    {
      config: { permission: "students.read" },
      schema: {
        operationId: "getStudentSettings",
        tags,
        summary: "Student ID settings: validity, reminder, verification page, tag and group, gift",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async ({ actor }) => serializeSettings(await read(actor, (trx) => loadSettings(trx, actor.tenantId))),
  );

  valueRoute(app, deps, {
    method: "PUT",
    url: "/v1/student-settings",
    config: {
      permission: "students.settings",
      tenantWide: true,
      idempotent: true,
      errors: [
        "invalid_image",
        "invalid_student_package",
        "invalid_gift",
        "member_tag_not_found",
        "member_group_not_found",
      ],
    },
    schema: {
      operationId: "updateStudentSettings",
      tags,
      summary: "Save the student ID settings page (one save); a new tag or group moves every current student",
      body: SettingsBody,
      response: { 200: Settings, ...errorResponses(422) },
    },
    status: 200,
    batched: false,
    input: ({ body }) => ({
      validity: body.validity,
      reminderDays: body.reminder_days_before,
      page: body.page,
      tag: body.student_tag,
      group: body.student_group,
      gift: body.gift,
      giftRule: body.gift_rule,
    }),
    op: updateStudentSettings,
    respond: serializeSettings,
  });

  app.get(
    "/v1/student-dashboard",
    {
      config: { permission: "students.read", tenantWide: true },
      schema: {
        operationId: "getStudentDashboard",
        tags,
        summary:
          "Student members now and their share of all members; new and expired yesterday (tenant's zone)",
        response: { 200: Dashboard, ...errorResponses() },
      },
    },
    async ({ actor }) => ({
      object: "student_dashboard" as const,
      ...(await read(actor, (trx) => studentDashboard(trx, actor.tenantId, clock.now()))),
    }),
  );

  app.get(
    "/v1/student-verification-page",
    {
      config: { permission: "students.read", member: true },
      schema: {
        operationId: "getStudentVerificationPage",
        tags,
        summary:
          "The verification page members see: title, body, images, student-only packages on sale, gift",
        response: { 200: VerificationPageView, ...errorResponses() },
      },
    },
    async ({ actor }) => read(actor, (trx) => verificationPage(trx, actor.tenantId)),
  );
}
