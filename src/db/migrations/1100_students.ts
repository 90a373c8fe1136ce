import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Student ID (seed 001 §2.6): the tenant's student settings (one row) and verifications
 * (submitted → approved or rejected; an approved one later expires or is superseded by a
 * re-verification). ID images are the catalog's images with purpose `student_id`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table images drop constraint images_purpose_check`.execute(db);
  await sql`alter table images add constraint images_purpose_check
    check (purpose in ('benefit_icon', 'package_cover', 'topup_cover', 'card_design', 'detail',
      'verification_page', 'student_id'))`.execute(db);

  await sql`
    create table student_settings (
      tenant_id text not null references tenants(id),
      validity_count integer not null check (validity_count between 1 and 120),
      validity_unit text not null check (validity_unit in ('day', 'month', 'year')),
      reminder_days integer not null check (reminder_days between 0 and 90),
      page jsonb not null,
      tag_code text,
      group_code text,
      gift jsonb not null,
      gift_rule text not null check (gift_rule in ('first_verification', 'every_verification')),
      updated_by text not null,
      updated_at timestamptz not null,
      primary key (tenant_id)
    )`.execute(db);

  await sql`
    create table student_verifications (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      school text not null,
      student_number text not null,
      graduation_date text not null check (graduation_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      image_id text not null,
      status text not null check (status in ('pending', 'approved', 'rejected', 'expired', 'superseded')),
      submitted_by text not null,
      submitted_at timestamptz not null,
      reviewed_by text,
      reviewed_at timestamptz,
      reject_reason text,
      valid_from timestamptz,
      valid_until timestamptz,
      end_reason text check (end_reason in ('validity_ended', 'graduated', 'reverified')),
      ended_at timestamptz,
      remind_at timestamptz,
      reminder_sent_at timestamptz,
      gift_grant_id text,
      primary key (tenant_id, id),
      foreign key (tenant_id, member_id) references members(tenant_id, id),
      foreign key (tenant_id, image_id) references images(tenant_id, id),
      check ((status = 'approved') <= (valid_until is not null)),
      check ((status = 'rejected') = (reject_reason is not null))
    )`.execute(db);
  // One open submission and one current approval per member.
  await sql`create unique index student_verifications_pending on student_verifications (tenant_id, member_id)
    where status = 'pending'`.execute(db);
  await sql`create unique index student_verifications_current on student_verifications (tenant_id, member_id)
    where status = 'approved'`.execute(db);
  await sql`create index student_verifications_queue on student_verifications (tenant_id, status, id)`.execute(
    db,
  );
  await sql`create index student_verifications_member on student_verifications (tenant_id, member_id, id)`.execute(
    db,
  );
  await sql`create index student_verifications_due on student_verifications (valid_until)
    where status = 'approved'`.execute(db);
  await sql`create index student_verifications_remind on student_verifications (remind_at)
    where status = 'approved' and reminder_sent_at is null`.execute(db);
  await sql`create index student_verifications_reviewed on student_verifications (tenant_id, reviewed_at)
    where status <> 'pending'`.execute(db);

  for (const table of ["student_settings", "student_verifications"]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
