import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { MembersError } from "./members.errors.js";
import type { MemberRow } from "./members.repository.js";

/** The tag and group every student carries (codes; null: none). */
export interface StudentLabels {
  tag: string | null;
  group: string | null;
}

async function labelId(trx: Tx, tenantId: string, kind: "tag" | "group", code: string | null) {
  if (code === null) return null;
  const row = await trx
    .selectFrom(kind === "tag" ? "member_tags" : "member_groups")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", code)
    .executeTakeFirst();
  if (!row) throw new MembersError(`member_${kind}_not_found`, `No ${kind} with code ${code}`);
  return row.id;
}

/** `ids` with `add` appended (once) and `remove` taken out, as SQL over the column. */
function relabel(column: "tag_ids" | "group_ids", add: string | null, remove: string | null) {
  let expr = sql`${sql.ref(column)}`;
  if (remove) expr = sql`array_remove(${expr}, ${remove})`;
  if (add) expr = sql`array_append(array_remove(${expr}, ${add}), ${add})`;
  return expr;
}

/**
 * Student status as the students module decides it (a verification approved, or its validity
 * ended): the `student` flag and the student tag and group follow together. The caller holds
 * the member's lock.
 */
export async function setStudentStatus(
  trx: Tx,
  ctx: RequestContext,
  memberId: string,
  input: { student: boolean; labels: StudentLabels },
  now: Date,
): Promise<MemberRow> {
  const tenantId = ctx.actor.tenantId;
  const tag = await labelId(trx, tenantId, "tag", input.labels.tag);
  const group = await labelId(trx, tenantId, "group", input.labels.group);
  const row = await trx
    .updateTable("members")
    .set({
      student: input.student,
      tag_ids: input.student ? relabel("tag_ids", tag, null) : relabel("tag_ids", null, tag),
      group_ids: input.student ? relabel("group_ids", group, null) : relabel("group_ids", null, group),
      updated_at: now,
    } as never)
    .where("tenant_id", "=", tenantId)
    .where("id", "=", memberId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new MembersError("member_not_found", "Member not found");
  await recordAudit(
    trx,
    ctx,
    {
      action: input.student ? "member.student_granted" : "member.student_ended",
      targetType: "member",
      targetId: memberId,
      summary: { student: input.student, tag: input.labels.tag, group: input.labels.group },
    },
    now,
  );
  return row;
}

/**
 * The student tag or group changed in the settings: every member who is a student now moves
 * from the old label to the new one, in one statement. A closed member is final (as a PATCH
 * of it is refused) and keeps the labels it was closed with. Returns how many members changed.
 */
export async function moveStudentLabels(
  trx: Tx,
  ctx: RequestContext,
  from: StudentLabels,
  to: StudentLabels,
  now: Date,
): Promise<number> {
  const tenantId = ctx.actor.tenantId;
  const ids = {
    fromTag: await labelId(trx, tenantId, "tag", from.tag),
    toTag: await labelId(trx, tenantId, "tag", to.tag),
    fromGroup: await labelId(trx, tenantId, "group", from.group),
    toGroup: await labelId(trx, tenantId, "group", to.group),
  };
  if (ids.fromTag === ids.toTag && ids.fromGroup === ids.toGroup) return 0;
  const result = await trx
    .updateTable("members")
    .set({
      tag_ids: relabel("tag_ids", ids.toTag, ids.fromTag === ids.toTag ? null : ids.fromTag),
      group_ids: relabel("group_ids", ids.toGroup, ids.fromGroup === ids.toGroup ? null : ids.fromGroup),
      updated_at: now,
    } as never)
    .where("tenant_id", "=", tenantId)
    .where("student", "=", true)
    .where("status", "<>", "closed")
    .executeTakeFirst();
  const moved = Number(result.numUpdatedRows);
  await recordAudit(
    trx,
    ctx,
    {
      action: "member.student_labels_moved",
      targetType: "member_tag",
      targetId: to.tag ?? from.tag ?? "none",
      summary: { from, to, members: moved },
    },
    now,
  );
  return moved;
}
