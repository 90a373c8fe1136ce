import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { newId } from "../../shared/ids.js";
import { assertTenantWide } from "./card-plans.js";
import { MAX_LABELS_PER_MEMBER } from "./member-input.js";
import { MembersError } from "./members.errors.js";
import { CATALOG_LIMITS, countCatalogRows, type LabelRow, uniqueViolation } from "./members.repository.js";

/** Groups (static member lists) and tags share one shape: a code and a name. */
export type LabelKind = "group" | "tag";
const TABLE = { group: "member_groups", tag: "member_tags" } as const;
const COLUMN = { group: "group_ids", tag: "tag_ids" } as const;
const LIMIT = { group: CATALOG_LIMITS.groups, tag: CATALOG_LIMITS.tags } as const;
/** One membership change names at most this many members. */
export const MAX_MEMBERS_PER_CHANGE = 1000;

export async function createLabel(
  trx: Tx,
  ctx: RequestContext,
  kind: LabelKind,
  input: { code: string; name: string },
  now: Date,
): Promise<LabelRow> {
  assertTenantWide(ctx);
  const tenantId = ctx.actor.tenantId;
  if ((await countCatalogRows(trx, tenantId, TABLE[kind])) >= LIMIT[kind]) {
    throw new MembersError("limit_exceeded", `A tenant has at most ${LIMIT[kind]} member ${kind}s`);
  }
  let row: LabelRow;
  try {
    row = await trx
      .insertInto(TABLE[kind])
      .values({
        tenant_id: tenantId,
        id: newId(kind === "group" ? "mgrp" : "mtag"),
        ...input,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw uniqueViolation(error) ?? error;
  }
  await recordAudit(
    trx,
    ctx,
    {
      action: `member_${kind}.created`,
      targetType: `member_${kind}`,
      targetId: row.id,
      summary: { after: input },
    },
    now,
  );
  return row;
}

export async function renameLabel(
  trx: Tx,
  ctx: RequestContext,
  kind: LabelKind,
  id: string,
  name: string,
  now: Date,
): Promise<LabelRow> {
  assertTenantWide(ctx);
  const tenantId = ctx.actor.tenantId;
  const before = await trx
    .selectFrom(TABLE[kind])
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!before) throw new MembersError(`member_${kind}_not_found`, `Member ${kind} not found`);
  const after = await trx
    .updateTable(TABLE[kind])
    .set({ name, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: `member_${kind}.updated`,
      targetType: `member_${kind}`,
      targetId: id,
      summary: changeSummary(before, after, ["name"]),
    },
    now,
  );
  return after;
}

/** Why a named member was left as it was (`skipped` in the answer). */
export type MembershipSkipReason = "member_closed";

/**
 * Adds members to, or removes them from, a group or tag in one statement. Unknown or
 * out-of-scope member ids are refused as a whole (nothing written). A closed member is final,
 * as a PATCH of it is refused: it is left out of both lists and answered in `skipped`.
 */
export async function changeLabelMembers(
  trx: Tx,
  ctx: RequestContext,
  kind: LabelKind,
  id: string,
  change: { add?: string[]; remove?: string[] },
  now: Date,
  scopePath: string | null,
): Promise<{
  added: number;
  removed: number;
  skipped: { member_id: string; reason: MembershipSkipReason }[];
}> {
  const tenantId = ctx.actor.tenantId;
  const label = await trx
    .selectFrom(TABLE[kind])
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!label) throw new MembersError(`member_${kind}_not_found`, `Member ${kind} not found`);
  let add = [...new Set(change.add ?? [])];
  let remove = [...new Set(change.remove ?? [])];
  if (add.length + remove.length > MAX_MEMBERS_PER_CHANGE) {
    throw new MembersError("limit_exceeded", `At most ${MAX_MEMBERS_PER_CHANGE} members per change`);
  }
  const all = [...new Set([...add, ...remove])];
  const closed = new Set<string>();
  if (all.length > 0) {
    let query = trx
      .selectFrom("members")
      .leftJoin("org_units", (j) =>
        j
          .onRef("org_units.tenant_id", "=", "members.tenant_id")
          .onRef("org_units.id", "=", "members.org_unit_id"),
      )
      .select(["members.id", "members.status"])
      .where("members.tenant_id", "=", tenantId)
      .where("members.id", "in", all);
    if (scopePath) query = query.where("org_units.path", "like", subtreePattern(scopePath));
    const rows = await query.execute();
    const found = new Set(rows.map((r) => r.id));
    const missing = all.filter((m) => !found.has(m));
    if (missing.length > 0) {
      throw new MembersError("member_not_found", `${missing.length} of the members were not found`);
    }
    for (const r of rows) if (r.status === "closed") closed.add(r.id);
    add = add.filter((m) => !closed.has(m));
    remove = remove.filter((m) => !closed.has(m));
  }
  // Also in each statement: a member closed after the read above is left alone too (closing
  // locks the member's row, and an UPDATE rereads a row it waited for).
  const open = sql<boolean>`status <> 'closed'`;
  const column = sql.ref(COLUMN[kind]);
  let added = 0;
  let removed = 0;
  if (add.length > 0) {
    const r = await trx
      .updateTable("members")
      .set({ [COLUMN[kind]]: sql`array_append(${column}, ${id})`, updated_at: now } as never)
      .where("tenant_id", "=", tenantId)
      .where("id", "in", add)
      .where(open)
      .where(sql<boolean>`not (${id} = any(${column}))`)
      // In the statement, not a read before it: two changes adding a member's last free place
      // at once each see the row as the other left it.
      .where(sql<boolean>`cardinality(${column}) < ${MAX_LABELS_PER_MEMBER}`)
      .executeTakeFirst();
    added = Number(r.numUpdatedRows);
    const full = await trx
      .selectFrom("members")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "in", add)
      .where(open)
      .where(sql<boolean>`not (${id} = any(${column}))`)
      .executeTakeFirst();
    if (full) {
      throw new MembersError(
        "limit_exceeded",
        `Member ${full.id} is already in ${MAX_LABELS_PER_MEMBER} ${kind === "group" ? "groups" : "tags"}, the most a member may be in`,
      );
    }
  }
  if (remove.length > 0) {
    const r = await trx
      .updateTable("members")
      .set({ [COLUMN[kind]]: sql`array_remove(${column}, ${id})`, updated_at: now } as never)
      .where("tenant_id", "=", tenantId)
      .where("id", "in", remove)
      .where(open)
      .where(sql<boolean>`${id} = any(${column})`)
      .executeTakeFirst();
    removed = Number(r.numUpdatedRows);
  }
  await recordAudit(
    trx,
    ctx,
    {
      action: `member_${kind}.members_changed`,
      targetType: `member_${kind}`,
      targetId: id,
      summary: {
        added: add.length > 20 ? add.length : add,
        removed: remove.length > 20 ? remove.length : remove,
      },
    },
    now,
  );
  const skipped = all
    .filter((m) => closed.has(m))
    .map((m) => ({ member_id: m, reason: "member_closed" as const }));
  return { added, removed, skipped };
}
