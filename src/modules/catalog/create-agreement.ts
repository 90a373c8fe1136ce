import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { assertBodySize } from "./agreement-rules.js";
import { type AgreementType, type AgreementView, findAgreement } from "./catalog.repository.js";

/** A new agreement at version 1 (type, title, markdown body ≤ 64 KiB, locale). */
export async function createAgreement(
  uow: UnitOfWork,
  context: RequestContext,
  input: { type: AgreementType; title: string; body: string; locale: string },
  now: Date,
): Promise<AgreementView> {
  const trx = uow.trx;
  const { actor } = context;
  assertBodySize(input.body);
  const id = newId("agr");
  await trx
    .insertInto("agreements")
    .values({
      tenant_id: actor.tenantId,
      id,
      type: input.type,
      status: "active",
      current_version: 1,
      created_by: actor.id,
      updated_by: actor.id,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await trx
    .insertInto("agreement_versions")
    .values({
      tenant_id: actor.tenantId,
      agreement_id: id,
      version: 1,
      title: input.title,
      body: input.body,
      locale: input.locale,
      created_by: actor.id,
      created_at: now,
    })
    .execute();
  await recordAudit(
    trx,
    context,
    {
      action: "agreement.created",
      targetType: "agreement",
      targetId: id,
      summary: { type: input.type, version: 1 },
    },
    now,
  );
  return findAgreement(trx, actor.tenantId, id);
}
