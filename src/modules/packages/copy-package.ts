import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { insertPackage } from "./create-package.js";
import { findPackage, type PackageRow } from "./packages.repository.js";
import { configOf } from "./update-package.js";

/**
 * A new inactive package with another's whole configuration (any status, archived
 * included): "keep all configurations, only update the name". Gift stock starts afresh.
 */
export async function copyPackage(
  uow: UnitOfWork,
  context: RequestContext,
  input: { id: string; name?: string },
  now: Date,
): Promise<PackageRow> {
  const source = await findPackage(uow.trx, context.actor.tenantId, input.id);
  const config = configOf(source);
  return insertPackage(
    uow.trx,
    context,
    { ...config, name: input.name ?? `${source.name} (copy)`.slice(0, 100) },
    now,
    input.id,
  );
}
