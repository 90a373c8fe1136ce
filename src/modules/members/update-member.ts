import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { revokeMemberTokens } from "../../platform/auth/member-tokens.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { checkMemberClose } from "../../platform/member-close-guards.js";
import { checkMemberMove } from "../../platform/member-move-guards.js";
import { lockTree } from "../../platform/org/org-units.js";
import { type MemberInput, memberColumns } from "./member-input.js";
import { MembersError } from "./members.errors.js";
import {
  existingOrgUnitPath,
  findMember,
  loadCatalog,
  type MemberRow,
  type MemberStatus,
  uniqueViolation,
} from "./members.repository.js";

/**
 * Changes a member's profile, groups, tags or status. Plan and tier change only through
 * changeMemberTier (which records why). A closed member is final, so closing one is refused
 * while a module still holds something the member owns (the wallets: a balance).
 */
export async function updateMember(
  trx: Tx,
  ctx: RequestContext,
  memberId: string,
  input: Omit<MemberInput, "card_plan" | "tier"> & { status?: MemberStatus },
  now: Date,
  /** Real time, even in a sandbox: member tokens carry their real issue time. */
  realTime: Date,
): Promise<MemberRow> {
  const { actor } = ctx;
  const tenantId = actor.tenantId;
  const before = await findMember(trx, tenantId, memberId, { lock: true });
  if (!before) throw new MembersError("member_not_found", "Member not found");
  assertInScope(actor, await existingOrgUnitPath(trx, tenantId, before.org_unit_id), "member");
  if (before.status === "closed") throw new MembersError("member_closed", "The member's account is closed");
  if (input.org_unit_id !== undefined) {
    // The tree shared, as an org unit move holds it exclusively: a move in flight could take
    // the new unit out from under a voucher's issuer after its own check ran, and this read of
    // the unit's old path would let the member follow it there.
    if (input.org_unit_id !== before.org_unit_id) await lockTree(trx, tenantId, "shared");
    const toPath = await existingOrgUnitPath(trx, tenantId, input.org_unit_id);
    assertInScope(actor, toPath, "org_unit");
    // Checked under the member's lock: a module may hold something only the units the member
    // now lies under may handle (the vouchers: a live voucher an org unit issued).
    if (input.org_unit_id !== before.org_unit_id) await checkMemberMove(trx, tenantId, memberId, toPath);
  }
  const catalog = await loadCatalog(trx, tenantId);
  const columns = memberColumns(catalog, input);
  if (input.status !== undefined) columns.status = input.status;
  // Checked under the member's lock, which every value-moving operation takes first.
  if (input.status === "closed") await checkMemberClose(trx, tenantId, memberId);
  let after: MemberRow;
  try {
    after = await trx
      .updateTable("members")
      .set({ ...(columns as object), updated_at: now })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", memberId)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw uniqueViolation(error) ?? error;
  }
  // A closed member's tokens stop working now, not when they expire.
  if (after.status === "closed") await revokeMemberTokens(trx, tenantId, memberId, realTime);
  const fields = Object.keys(columns) as (keyof MemberRow)[];
  await recordAudit(
    trx,
    ctx,
    {
      action:
        input.status && input.status !== before.status
          ? `member.${input.status === "active" ? "activated" : input.status}`
          : "member.updated",
      targetType: "member",
      targetId: memberId,
      summary: changeSummary(before, after, fields),
    },
    now,
  );
  return after;
}
