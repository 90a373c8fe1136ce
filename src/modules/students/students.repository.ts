import type { Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { Json, Timestamp } from "../../db/schema.js";
import { lockForTransaction, lockSharedForTransaction } from "../../db/transaction-lock.js";
import type { GiftSpec } from "../catalog/index.js";
import { StudentsError } from "./students.errors.js";

export const VALIDITY_UNITS = ["day", "month", "year"] as const;
export type ValidityUnit = (typeof VALIDITY_UNITS)[number];
export const GIFT_RULES = ["first_verification", "every_verification"] as const;
export type GiftRule = (typeof GIFT_RULES)[number];
export const VERIFICATION_STATUSES = ["pending", "approved", "rejected", "expired", "superseded"] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];
export type EndReason = "validity_ended" | "graduated" | "reverified";

/** The verification page members see before they submit. */
export interface VerificationPage {
  title: string;
  body: string;
  image_ids: string[];
  package_ids: string[];
}

export interface StudentSettingsTable {
  tenant_id: string;
  validity_count: number;
  validity_unit: ValidityUnit;
  reminder_days: number;
  page: Json<VerificationPage>;
  tag_code: string | null;
  group_code: string | null;
  gift: Json<GiftSpec>;
  gift_rule: GiftRule;
  updated_by: string;
  updated_at: Timestamp;
}

export interface StudentVerificationsTable {
  tenant_id: string;
  id: string;
  member_id: string;
  school: string;
  student_number: string;
  /** A local date (`YYYY-MM-DD`): the last day the member studies. */
  graduation_date: string;
  image_id: string;
  status: VerificationStatus;
  submitted_by: string;
  submitted_at: Timestamp;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  reject_reason: string | null;
  valid_from: Date | null;
  valid_until: Date | null;
  end_reason: EndReason | null;
  ended_at: Date | null;
  remind_at: Date | null;
  reminder_sent_at: Date | null;
  gift_grant_id: string | null;
}

/** Which member a student ID photo was uploaded for (migration 1560). */
export interface StudentIdImagesTable {
  tenant_id: string;
  image_id: string;
  member_id: string;
}

declare module "../../db/schema.js" {
  interface DB {
    student_settings: StudentSettingsTable;
    student_verifications: StudentVerificationsTable;
    student_id_images: StudentIdImagesTable;
  }
}

export type SettingsRow = Omit<Selectable<StudentSettingsTable>, "updated_by" | "updated_at"> & {
  updated_by: string | null;
  updated_at: Date | null;
};
export type VerificationRow = Selectable<StudentVerificationsTable>;

/** What a tenant that never saved its settings has: 6 months, a reminder 7 days before, no gift. */
export function defaultSettings(tenantId: string): SettingsRow {
  return {
    tenant_id: tenantId,
    validity_count: 6,
    validity_unit: "month",
    reminder_days: 7,
    page: { title: "", body: "", image_ids: [], package_ids: [] },
    tag_code: null,
    group_code: null,
    gift: { kind: "none" },
    gift_rule: "first_verification",
    updated_by: null,
    updated_at: null,
  };
}

/**
 * Keeps a settings save and the work that applies the student tag and group apart: a review
 * or an expiry run holds it shared (`apply`) from before it reads the settings until it
 * commits, a save exclusively (`change`). Otherwise a save committing between a review's read
 * and its write moves every student but the one being approved, who keeps the old tag for
 * good (its expiry later removes the new one). A row lock would not do: until the first save
 * there is no settings row to lock. Taken before any member's row: the save locks students.
 */
export async function holdStudentSettings(trx: Tx, tenantId: string, use: "apply" | "change"): Promise<void> {
  const name = ["students", "settings", tenantId];
  await (use === "change" ? lockForTransaction(trx, ...name) : lockSharedForTransaction(trx, ...name));
}

/** The settings as stored, or as the first save will store them; `lock` for a save. */
export async function loadSettings(
  trx: Tx,
  tenantId: string,
  options: { lock?: boolean } = {},
): Promise<SettingsRow> {
  let query = trx.selectFrom("student_settings").selectAll().where("tenant_id", "=", tenantId);
  if (options.lock) query = query.forUpdate();
  return (await query.executeTakeFirst()) ?? defaultSettings(tenantId);
}

/** Keeps which member a just uploaded student ID photo belongs to. */
export async function bindStudentIdImage(
  trx: Tx,
  tenantId: string,
  imageId: string,
  memberId: string,
): Promise<void> {
  await trx
    .insertInto("student_id_images")
    .values({ tenant_id: tenantId, image_id: imageId, member_id: memberId })
    .execute();
}

/** How many of the member's student ID photos no verification names yet. */
export async function unsubmittedStudentIdImages(
  trx: Tx,
  tenantId: string,
  memberId: string,
): Promise<number> {
  const row = await trx
    .selectFrom("student_id_images as i")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("i.tenant_id", "=", tenantId)
    .where("i.member_id", "=", memberId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("student_verifications as v")
            .select("v.id")
            .where("v.tenant_id", "=", tenantId)
            .where("v.member_id", "=", memberId)
            .whereRef("v.image_id", "=", "i.image_id"),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Whether the image is a student ID photo uploaded for this member. */
export async function isOwnStudentIdImage(
  trx: Tx,
  tenantId: string,
  imageId: string,
  memberId: string,
): Promise<boolean> {
  const row = await trx
    .selectFrom("student_id_images")
    .select("member_id")
    .where("tenant_id", "=", tenantId)
    .where("image_id", "=", imageId)
    .executeTakeFirst();
  return row?.member_id === memberId;
}

/**
 * A verification names a student ID photo uploaded for its own member: another member's
 * photo (or any other image) is `invalid_image`, so a submission never carries, nor serves
 * back, someone else's ID.
 */
export async function assertOwnStudentIdImage(
  trx: Tx,
  tenantId: string,
  imageId: string,
  memberId: string,
  field: string,
): Promise<void> {
  if (!(await isOwnStudentIdImage(trx, tenantId, imageId, memberId))) {
    throw new StudentsError(
      "invalid_image",
      `${imageId} is not a student ID photo of ${memberId}: POST /v1/members/${memberId}/student-id-images`,
      { errors: [{ field, message: "must name a student ID photo uploaded for this member" }] },
    );
  }
}

export async function findVerification(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<VerificationRow> {
  let query = trx
    .selectFrom("student_verifications")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new StudentsError("student_verification_not_found", "Student verification not found");
  return row;
}

/** A verification waiting for review, locked (approving and rejecting decide on it). */
export async function lockPending(trx: Tx, tenantId: string, id: string): Promise<VerificationRow> {
  const row = await findVerification(trx, tenantId, id, { lock: true });
  if (row.status !== "pending") {
    throw new StudentsError("student_verification_not_pending", `The verification is ${row.status}`);
  }
  return row;
}

/** The member's verification in a state (`approved`: the current one; `pending`: the open one). */
export async function memberVerification(
  trx: Tx,
  tenantId: string,
  memberId: string,
  status: "approved" | "pending",
): Promise<VerificationRow | undefined> {
  return trx
    .selectFrom("student_verifications")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("status", "=", status)
    .executeTakeFirst();
}

/** Whether the member was ever approved before (the "first verification" gift rule). */
export async function everApproved(trx: Tx, tenantId: string, memberId: string): Promise<boolean> {
  const row = await trx
    .selectFrom("student_verifications")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("status", "in", ["approved", "expired", "superseded"])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateVerification(
  trx: Tx,
  tenantId: string,
  id: string,
  set: Partial<Omit<VerificationRow, "tenant_id" | "id">>,
): Promise<VerificationRow> {
  return trx
    .updateTable("student_verifications")
    .set(set)
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The review queue and histories: verifications with their member's name, keyed by the verification id. */
export function verificationQuery(
  trx: Tx,
  tenantId: string,
  filter: { status?: VerificationStatus; memberId?: string },
) {
  let query = trx
    .selectFrom("student_verifications as v")
    .innerJoin("members as m", (j) =>
      j.onRef("m.tenant_id", "=", "v.tenant_id").onRef("m.id", "=", "v.member_id"),
    )
    .selectAll("v")
    .select("m.name as member_name")
    .where("v.tenant_id", "=", tenantId);
  if (filter.status) query = query.where("v.status", "=", filter.status);
  if (filter.memberId) query = query.where("v.member_id", "=", filter.memberId);
  return query;
}
