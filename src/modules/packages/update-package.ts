import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { configColumns, type PackageInput } from "./create-package.js";
import { PackagesError } from "./packages.errors.js";
import { findPackage, type PackageRow } from "./packages.repository.js";
import { configureStocks, type PackageConfig, validatePackage } from "./validate-package.js";

/** The editable configuration of a stored package. */
export function configOf(row: PackageRow): PackageConfig {
  return {
    name: row.name,
    tags: row.tags,
    description: row.description,
    cover_image_id: row.cover_image_id,
    audience: row.audience,
    availability: row.availability,
    store_scope: row.store_scope,
    channels: row.channels,
    currency: row.currency,
    refund_restriction: row.refund_restriction,
    purchase_agreement_id: row.purchase_agreement_id,
    terms_agreement_id: row.terms_agreement_id,
    faq_agreement_id: row.faq_agreement_id,
    sales_rules: row.sales_rules,
    perks: row.perks,
  };
}

/**
 * Edits a package (inactive or active): fields given replace the stored ones whole (sales
 * rules and perks as lists). Periods already sold keep their snapshot; only later sales see
 * the change. An archived package is read-only (`package_archived`): copy it instead.
 */
export async function updatePackage(
  trx: Tx,
  context: RequestContext,
  input: { id: string; patch: Partial<PackageInput> },
  now: Date,
): Promise<PackageRow> {
  const { id, patch } = input;
  const { actor } = context;
  const before = await findPackage(trx, actor.tenantId, id, { lock: true });
  if (before.status === "archived") {
    throw new PackagesError(
      "package_archived",
      "An archived package is read-only; copy it to make a new one",
    );
  }
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const config: PackageConfig = { ...configOf(before), ...defined } as PackageConfig;
  await validatePackage(trx, actor.tenantId, config);
  const row = await trx
    .updateTable("packages")
    .set({ ...configColumns(config), version: before.version + 1, updated_by: actor.id, updated_at: now })
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await configureStocks(trx, actor.tenantId, id, config.perks, now);
  await recordAudit(
    trx,
    context,
    {
      action: "package.updated",
      targetType: "package",
      targetId: id,
      summary: { fields: Object.keys(defined), version: row.version },
    },
    now,
  );
  return row;
}
