import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * A student ID photo belongs to the member it was uploaded for: a verification names only
 * its own member's photo, so no member (and no staff) can put another member's ID on a
 * submission and read it back through it. Photos already kept are bound to the member of
 * their first verification, or else to the member who uploaded them with their own token;
 * one uploaded by staff and never submitted stays unbound and is refused (upload it again).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table student_id_images (
      tenant_id text not null references tenants(id),
      image_id text not null,
      member_id text not null,
      primary key (tenant_id, image_id),
      foreign key (tenant_id, image_id) references images(tenant_id, id),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index student_id_images_member on student_id_images (tenant_id, member_id)`.execute(db);
  await sql`
    insert into student_id_images (tenant_id, image_id, member_id)
    select distinct on (v.tenant_id, v.image_id) v.tenant_id, v.image_id, v.member_id
      from student_verifications v
     order by v.tenant_id, v.image_id, v.submitted_at, v.id`.execute(db);
  await sql`
    insert into student_id_images (tenant_id, image_id, member_id)
    select i.tenant_id, i.id, i.created_by from images i
      join members m on m.tenant_id = i.tenant_id and m.id = i.created_by
     where i.purpose = 'student_id'
    on conflict do nothing`.execute(db);
  await protectTenantTable(db, "student_id_images");
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
