import { Type } from "typebox";
import { IdParam, ListQuery, Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { GiftSpec } from "../catalog/index.js";
import {
  GIFT_RULES,
  type SettingsRow,
  VALIDITY_UNITS,
  VERIFICATION_STATUSES,
  type VerificationRow,
} from "./students.repository.js";

/** Request and response schemas of the students module, and their serializers. */

const Int = Type.Integer();
const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableTime = Type.Union([Timestamp, Type.Null()]);
const LocalDate = Type.String({ maxLength: 10, format: "date", examples: ["2028-06-30"] });
const Code = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.-]+$" });

/** Limits: page body 20,000 characters, 9 page images, 20 linked packages. */
export const MAX_PAGE_IMAGES = 9;
export const MAX_PAGE_PACKAGES = 20;

export const IdParams = Obj({ id: IdParam });
export const MemberParams = Obj({ member_id: IdParam });

export const SubmitBody = Obj(
  {
    member_id: IdParam,
    school: Type.String({ minLength: 1, maxLength: 200 }),
    student_number: Type.String({ minLength: 1, maxLength: 64 }),
    graduation_date: LocalDate,
    image_id: IdParam,
  },
  {
    examples: [
      {
        member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
        school: "Fudan University",
        student_number: "22300180042",
        graduation_date: "2028-06-30",
        image_id: "img_01jd3m2x4y5z6a7b8c9d0e1f2g",
      },
    ],
  },
);

export const RejectBody = Obj(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { examples: [{ reason: "The photo is unreadable" }] },
);

export const VerificationQuery = Obj({
  status: Type.Optional(StringEnum(VERIFICATION_STATUSES)),
  member_id: Type.Optional(IdParam),
  ...ListQuery,
});

export const Verification = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("student_verification"),
    member_id: Type.String(),
    member_name: Type.Optional(Type.String({ description: "The member's name (in lists)" })),
    school: Type.String(),
    student_number: Type.String(),
    graduation_date: LocalDate,
    image_id: Type.String(),
    status: StringEnum(VERIFICATION_STATUSES),
    submitted_by: Type.String(),
    submitted_at: Timestamp,
    reviewed_by: NullableString,
    reviewed_at: NullableTime,
    reject_reason: NullableString,
    valid_from: NullableTime,
    valid_until: NullableTime,
    end_reason: NullableString,
    ended_at: NullableTime,
    reminder_sent_at: NullableTime,
    gift_grant_id: NullableString,
  },
  { description: "A student ID verification: pending → approved (later expired or superseded) or rejected" },
);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeVerification(row: VerificationRow & { member_name?: string }) {
  return {
    id: row.id,
    object: "student_verification" as const,
    member_id: row.member_id,
    ...(row.member_name === undefined ? {} : { member_name: row.member_name }),
    school: row.school,
    student_number: row.student_number,
    graduation_date: row.graduation_date,
    image_id: row.image_id,
    status: row.status,
    submitted_by: row.submitted_by,
    submitted_at: row.submitted_at.toISOString(),
    reviewed_by: row.reviewed_by,
    reviewed_at: iso(row.reviewed_at),
    reject_reason: row.reject_reason,
    valid_from: iso(row.valid_from),
    valid_until: iso(row.valid_until),
    end_reason: row.end_reason,
    ended_at: iso(row.ended_at),
    reminder_sent_at: iso(row.reminder_sent_at),
    gift_grant_id: row.gift_grant_id,
  };
}

export const MemberStudentStatus = Type.Object({
  object: Type.Literal("student_status"),
  member_id: Type.String(),
  student: Type.Boolean(),
  current: Type.Union([Verification, Type.Null()]),
  pending: Type.Union([Verification, Type.Null()]),
});

const Page = Obj({
  title: Type.String({ maxLength: 100 }),
  body: Type.String({ maxLength: 20_000, description: "Markdown" }),
  image_ids: Type.Array(IdParam, { maxItems: MAX_PAGE_IMAGES, uniqueItems: true }),
  package_ids: Type.Array(IdParam, { maxItems: MAX_PAGE_PACKAGES, uniqueItems: true }),
});

const SETTINGS_EXAMPLE = {
  validity: { count: 6, unit: "month" },
  reminder_days_before: 7,
  page: {
    title: "Verify your student ID",
    body: "Students get 20% off every drink and a welcome voucher.",
    image_ids: [],
    package_ids: ["pkg_01jd3m2x4y5z6a7b8c9d0e1f2g"],
  },
  student_tag: "student",
  student_group: "students",
  gift: { kind: "voucher", template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 1 },
  gift_rule: "first_verification",
};

const SettingsFields = {
  validity: Obj(
    { count: Type.Integer({ minimum: 1, maximum: 120 }), unit: StringEnum(VALIDITY_UNITS) },
    { description: "How long an approval lasts (capped by the graduation date)" },
  ),
  reminder_days_before: Type.Integer({
    minimum: 0,
    maximum: 90,
    description:
      "Send the expiration reminder this many days before status ends (0: none); an approval whose reminder would come less than a day after it (a graduation date inside the lead) gets none",
  }),
  page: Page,
  student_tag: Type.Union([Code, Type.Null()], { description: "Tag code every student carries" }),
  student_group: Type.Union([Code, Type.Null()], { description: "Group code every student is in" }),
  gift: GiftSpec,
  gift_rule: StringEnum(GIFT_RULES, {
    description:
      "first_verification: only a member's first approval gives the gift; every_verification: each",
  }),
};

export const SettingsBody = Obj(SettingsFields, { examples: [SETTINGS_EXAMPLE] });

export const Settings = Type.Object(
  {
    object: Type.Literal("student_settings"),
    ...SettingsFields,
    updated_by: NullableString,
    updated_at: NullableTime,
  },
  {
    $id: "StudentSettings",
    examples: [
      {
        object: "student_settings",
        ...SETTINGS_EXAMPLE,
        updated_by: "usr_01jd3m2x4y5z6a7b8c9d0e1f2g",
        updated_at: "2026-03-01T03:00:00.000Z",
      },
    ],
  },
);

export function serializeSettings(row: SettingsRow) {
  return {
    object: "student_settings" as const,
    validity: { count: row.validity_count, unit: row.validity_unit },
    reminder_days_before: row.reminder_days,
    page: row.page,
    student_tag: row.tag_code,
    student_group: row.group_code,
    gift: row.gift,
    gift_rule: row.gift_rule,
    updated_by: row.updated_by,
    updated_at: iso(row.updated_at),
  };
}

export const Dashboard = Type.Object(
  {
    object: Type.Literal("student_dashboard"),
    timezone: Type.String(),
    as_of: Timestamp,
    current_students: Type.Integer({ description: "Members (not closed) whose student status holds now" }),
    members: Type.Integer({ description: "All members not closed (closed members count in neither)" }),
    share_basis_points: Type.Integer({
      description: "current_students / members in basis points, rounded half up (3333 = 33.33%)",
    }),
    yesterday: Type.Object({
      date: LocalDate,
      new_students: Type.Integer({ description: "Distinct members approved on that local day" }),
      expired_students: Type.Integer({
        description: "Distinct members whose status ended that local day (validity or graduation)",
      }),
    }),
  },
  {
    $id: "StudentDashboard",
    examples: [
      {
        object: "student_dashboard",
        timezone: "Asia/Shanghai",
        as_of: "2026-03-02T02:00:00.000Z",
        current_students: 1,
        members: 3,
        share_basis_points: 3333,
        yesterday: { date: "2026-03-01", new_students: 1, expired_students: 0 },
      },
    ],
  },
);

export const VerificationPageView = Type.Object({
  object: Type.Literal("student_verification_page"),
  title: Type.String(),
  body: Type.String(),
  image_ids: Type.Array(Type.String()),
  packages: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), status: Type.String() })),
  gift: GiftSpec,
});

export const StudentImage = Type.Object({
  id: Type.String(),
  object: Type.Literal("image"),
  purpose: Type.Literal("student_id"),
  media_type: Type.String(),
  size: Int,
  sha256: Type.String(),
  created_at: Timestamp,
});
