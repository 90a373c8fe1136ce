import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";
import {
  findUnit,
  loadEnterprise,
  loadMember,
  type MemberRow,
  type NamedMember,
  type SharingVia,
  sharingDefault,
  type UnitRef,
  withNames,
} from "./enterprise.repository.js";

/** Batch sharing changes take at most this many member accounts per call. */
export const MAX_SHARING_BATCH = 100;

async function logChange(
  trx: Tx,
  context: RequestContext,
  enterpriseId: string,
  memberId: string | null,
  enabled: boolean,
  via: SharingVia,
  now: Date,
) {
  await trx
    .insertInto("enterprise_sharing_changes")
    .values({
      tenant_id: context.actor.tenantId,
      id: newId("esc"),
      enterprise_id: enterpriseId,
      member_id: memberId,
      enabled,
      via,
      actor_type: context.actor.type,
      actor_id: context.actor.id,
      created_at: now,
    })
    .execute();
}

/**
 * Associates a member account with its master. Sharing starts as the master's global
 * switch says at this moment; later changes of the switch do not touch this member.
 */
export async function associateMember(
  trx: Tx,
  context: RequestContext,
  enterprise: UnitRef,
  member: UnitRef,
  now: Date,
): Promise<MemberRow> {
  if (
    member.kind !== "member_account" ||
    !member.path.startsWith(enterprise.path) ||
    member.id === enterprise.id
  ) {
    throw new EnterpriseError(
      "not_a_member_account",
      "Only member accounts under the enterprise can be associated",
    );
  }
  // The settings row (if any) is locked so the default read here cannot change underneath.
  await trx
    .selectFrom("enterprise_settings")
    .select("enterprise_id")
    .where("tenant_id", "=", context.actor.tenantId)
    .where("enterprise_id", "=", enterprise.id)
    .forUpdate()
    .execute();
  const enabled = await sharingDefault(trx, context.actor.tenantId, enterprise.id);
  const row = await trx
    .insertInto("enterprise_members")
    .values({
      tenant_id: context.actor.tenantId,
      member_id: member.id,
      enterprise_id: enterprise.id,
      sharing_enabled: enabled,
      associated_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "member_id"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new EnterpriseError("member_already_associated", "The member account is already associated");
  await logChange(trx, context, enterprise.id, member.id, enabled, "association", now);
  await recordAudit(
    trx,
    context,
    {
      action: "enterprise_member.associated",
      targetType: "member_account",
      targetId: member.id,
      summary: { enterprise_id: enterprise.id, sharing_enabled: enabled },
    },
    now,
  );
  return row;
}

/** The master's global switch: it decides only for members associated afterwards. */
export async function setGlobalSharing(
  trx: Tx,
  context: RequestContext,
  enterprise: UnitRef,
  enabled: boolean,
  now: Date,
): Promise<void> {
  await trx
    .insertInto("enterprise_settings")
    .values({
      tenant_id: context.actor.tenantId,
      enterprise_id: enterprise.id,
      sharing_default: enabled,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["tenant_id", "enterprise_id"]).doUpdateSet({ sharing_default: enabled, updated_at: now }),
    )
    .execute();
  await logChange(trx, context, enterprise.id, null, enabled, "global", now);
  await recordAudit(
    trx,
    context,
    {
      action: "enterprise.sharing_default_changed",
      targetType: "enterprise",
      targetId: enterprise.id,
      summary: { sharing_default: enabled },
    },
    now,
  );
  await emitEnterpriseEvent(
    trx,
    context.actor.tenantId,
    "enterprise.sharing_changed",
    { enterprise_id: enterprise.id, member_ids: [], enabled, via: "global" },
    now,
  );
}

/**
 * Enables or disables sharing for members of one master (one, or a batch of at most
 * MAX_SHARING_BATCH). All named members must be associated with this master; nothing
 * changes otherwise. Each member's change is logged and audited.
 */
export async function setMembersSharing(
  trx: Tx,
  context: RequestContext,
  enterpriseId: string,
  memberIds: string[],
  enabled: boolean,
  via: "member" | "batch",
  now: Date,
): Promise<MemberRow[]> {
  if (memberIds.length > MAX_SHARING_BATCH) {
    throw new EnterpriseError(
      "limit_exceeded",
      `At most ${MAX_SHARING_BATCH} member accounts per call; repeat the operation for the remaining ${memberIds.length - MAX_SHARING_BATCH}`,
      { extra: { max_items: MAX_SHARING_BATCH } },
    );
  }
  const unique = [...new Set(memberIds)].sort();
  const rows = await trx
    .selectFrom("enterprise_members")
    .selectAll()
    .where("tenant_id", "=", context.actor.tenantId)
    .where("enterprise_id", "=", enterpriseId)
    .where("member_id", "in", unique)
    .orderBy("member_id")
    .forUpdate()
    .execute();
  if (rows.length !== unique.length) {
    const found = new Set(rows.map((r) => r.member_id));
    throw new EnterpriseError(
      "member_not_associated",
      "Some member accounts are not associated with this enterprise",
      {
        extra: { member_ids: unique.filter((id) => !found.has(id)) },
      },
    );
  }
  const updated = await trx
    .updateTable("enterprise_members")
    .set({ sharing_enabled: enabled, updated_at: now })
    .where("tenant_id", "=", context.actor.tenantId)
    .where("member_id", "in", unique)
    .returningAll()
    .execute();
  for (const row of rows) {
    await logChange(trx, context, enterpriseId, row.member_id, enabled, via, now);
    await recordAudit(
      trx,
      context,
      {
        action: enabled ? "enterprise_member.sharing_enabled" : "enterprise_member.sharing_disabled",
        targetType: "member_account",
        targetId: row.member_id,
        summary: {
          before: { sharing_enabled: row.sharing_enabled },
          after: { sharing_enabled: enabled },
          via,
        },
      },
      now,
    );
  }
  await emitEnterpriseEvent(
    trx,
    context.actor.tenantId,
    "enterprise.sharing_changed",
    { enterprise_id: enterpriseId, member_ids: unique, enabled, via },
    now,
  );
  return updated;
}

/* The entries the routes call: each finds what the actor names, in the actor's scope, then acts. */

/** Associates the member account `memberId` with the enterprise `enterpriseId`. */
export async function associateMemberById(
  trx: Tx,
  context: RequestContext,
  input: { enterpriseId: string; memberId: string },
  now: Date,
): Promise<NamedMember> {
  const enterprise = await loadEnterprise(trx, context.actor, input.enterpriseId);
  const member = await findUnit(trx, context.actor, input.memberId, "org_unit");
  return { ...(await associateMember(trx, context, enterprise, member, now)), name: member.name };
}

/** Flips the enterprise's global switch. */
export async function switchGlobalSharing(
  trx: Tx,
  context: RequestContext,
  input: { enterpriseId: string; enabled: boolean },
  now: Date,
): Promise<void> {
  const enterprise = await loadEnterprise(trx, context.actor, input.enterpriseId);
  await setGlobalSharing(trx, context, enterprise, input.enabled, now);
}

/** Sharing on or off for a batch of the enterprise's members. */
export async function switchMembersSharing(
  trx: Tx,
  context: RequestContext,
  input: { enterpriseId: string; memberIds: string[]; enabled: boolean },
  now: Date,
): Promise<NamedMember[]> {
  const enterprise = await loadEnterprise(trx, context.actor, input.enterpriseId);
  const rows = await setMembersSharing(
    trx,
    context,
    enterprise.id,
    input.memberIds,
    input.enabled,
    "batch",
    now,
  );
  return withNames(trx, context.actor.tenantId, rows);
}

/** Sharing on or off for one member account. */
export async function switchMemberSharing(
  trx: Tx,
  context: RequestContext,
  input: { memberId: string; enabled: boolean },
  now: Date,
): Promise<NamedMember> {
  const member = await loadMember(trx, context.actor, input.memberId);
  // Only the master (or staff above it) switches sharing, never the member itself.
  await loadEnterprise(trx, context.actor, member.enterprise_id);
  const [updated] = await setMembersSharing(
    trx,
    context,
    member.enterprise_id,
    [member.member_id],
    input.enabled,
    "member",
    now,
  );
  return { ...updated!, name: member.name };
}
