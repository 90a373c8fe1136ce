import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { loadValidityMode } from "./packages.repository.js";
import type { ValidityMode } from "./validity.js";

/**
 * Global Package Settings: how every package's periods are placed, from the next sale on
 * (periods already sold keep the mode they were sold under, in their snapshot).
 */
export async function updatePackageSettings(
  trx: Tx,
  context: RequestContext,
  input: { mode: ValidityMode },
  now: Date,
): Promise<{ mode: ValidityMode; updatedAt: Date }> {
  const { mode } = input;
  const { actor } = context;
  const before = await loadValidityMode(trx, actor.tenantId);
  await trx
    .insertInto("package_settings")
    .values({ tenant_id: actor.tenantId, validity_mode: mode, updated_by: actor.id, updated_at: now })
    .onConflict((oc) =>
      oc.column("tenant_id").doUpdateSet({ validity_mode: mode, updated_by: actor.id, updated_at: now }),
    )
    .execute();
  await recordAudit(
    trx,
    context,
    {
      action: "package_settings.updated",
      targetType: "package_settings",
      targetId: actor.tenantId,
      summary: { before: { validity_mode: before.mode }, after: { validity_mode: mode } },
    },
    now,
  );
  return { mode, updatedAt: now };
}
