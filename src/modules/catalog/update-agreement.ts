import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertBodySize } from "./agreement-rules.js";
import { type AgreementView, type CatalogStatus, findAgreement } from "./catalog.repository.js";

/**
 * Changes an agreement. New text (title, body or locale) is a new version — earlier versions
 * stay readable, and sales keep the version their buyer accepted; a status change alone
 * (archive, re-activate) keeps the version.
 */
export async function updateAgreement(
  trx: Tx,
  context: RequestContext,
  input: { id: string; patch: { title?: string; body?: string; locale?: string; status?: CatalogStatus } },
  now: Date,
): Promise<AgreementView> {
  const { id, patch } = input;
  const { actor } = context;
  const before = await findAgreement(trx, actor.tenantId, id, { lock: true });
  const text = {
    title: patch.title ?? before.title,
    body: patch.body ?? before.body,
    locale: patch.locale ?? before.locale,
  };
  const changed = text.title !== before.title || text.body !== before.body || text.locale !== before.locale;
  assertBodySize(text.body);
  const version = changed ? before.current_version + 1 : before.current_version;
  if (changed) {
    await trx
      .insertInto("agreement_versions")
      .values({
        tenant_id: actor.tenantId,
        agreement_id: id,
        version,
        ...text,
        created_by: actor.id,
        created_at: now,
      })
      .execute();
  }
  await trx
    .updateTable("agreements")
    .set({
      current_version: version,
      status: patch.status ?? before.status,
      updated_by: actor.id,
      updated_at: now,
    })
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", id)
    .execute();
  await recordAudit(
    trx,
    context,
    {
      action: "agreement.updated",
      targetType: "agreement",
      targetId: id,
      summary: { version, previous_version: before.current_version, status: patch.status ?? before.status },
    },
    now,
  );
  return findAgreement(trx, actor.tenantId, id);
}
