import type { Tx } from "../../db/database.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { createPackage } from "./create-package.js";
import { findPackage, type PackageRow } from "./packages.repository.js";
import { configOf } from "./update-package.js";

/**
 * A new inactive package with another's whole configuration (any status, archived
 * included): "keep all configurations, only update the name". Gift stock starts afresh.
 */
export async function copyPackage(
  trx: Tx,
  context: RequestContext,
  id: string,
  name: string | undefined,
  now: Date,
): Promise<PackageRow> {
  const source = await findPackage(trx, context.actor.tenantId, id);
  const config = configOf(source);
  return createPackage(
    trx,
    context,
    { ...config, name: name ?? `${source.name} (copy)`.slice(0, 100) },
    now,
    id,
  );
}
