import type { Static } from "typebox";
import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { Obj } from "../../platform/http/schemas.js";
import { newId } from "../../shared/ids.js";
import { balanceAsset } from "../wallets/index.js";
import { PackageFields } from "./package-config.js";
import type { PackageRow } from "./packages.repository.js";
import { configureStocks, type PackageConfig, validatePackage } from "./validate-package.js";

const CreateBody = Obj(PackageFields);
export type PackageInput = Static<typeof CreateBody>;

/** The stored configuration of an input, with every default filled in. */
export async function withDefaults(
  trx: Tx,
  tenantId: string,
  input: PackageInput,
  now: Date,
): Promise<PackageConfig> {
  return {
    name: input.name,
    tags: input.tags ?? [],
    description: input.description ?? null,
    cover_image_id: input.cover_image_id ?? null,
    audience: input.audience ?? {},
    availability: input.availability ?? {},
    store_scope: input.store_scope ?? {},
    channels: input.channels,
    currency: input.currency ?? (await balanceAsset(trx, tenantId, now)),
    refund_restriction: input.refund_restriction ?? false,
    purchase_agreement_id: input.purchase_agreement_id ?? null,
    terms_agreement_id: input.terms_agreement_id ?? null,
    faq_agreement_id: input.faq_agreement_id ?? null,
    sales_rules: input.sales_rules,
    perks: input.perks ?? [],
  };
}

/** The row's jsonb columns for a configuration. */
export function configColumns(config: PackageConfig) {
  return {
    ...config,
    tags: JSON.stringify(config.tags),
    audience: JSON.stringify(config.audience),
    availability: JSON.stringify(config.availability),
    store_scope: JSON.stringify(config.store_scope),
    channels: JSON.stringify(config.channels),
    sales_rules: JSON.stringify(config.sales_rules),
    perks: JSON.stringify(config.perks),
  };
}

/** A new package, `inactive` until activated; everything it names is checked first. */
export async function createPackage(
  uow: UnitOfWork,
  context: RequestContext,
  input: PackageInput,
  now: Date,
): Promise<PackageRow> {
  return insertPackage(uow.trx, context, input, now);
}

/** Writes a new package (created, or copied from `copiedFrom`). */
export async function insertPackage(
  trx: Tx,
  context: RequestContext,
  input: PackageInput,
  now: Date,
  copiedFrom: string | null = null,
): Promise<PackageRow> {
  const { actor } = context;
  const config = await withDefaults(trx, actor.tenantId, input, now);
  await validatePackage(trx, actor.tenantId, config);
  const id = newId("pkg");
  const row = await trx
    .insertInto("packages")
    .values({
      tenant_id: actor.tenantId,
      id,
      ...configColumns(config),
      status: "inactive",
      version: 1,
      copied_from: copiedFrom,
      created_by: actor.id,
      updated_by: actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await configureStocks(trx, actor.tenantId, id, config.perks, now);
  await recordAudit(
    trx,
    context,
    {
      action: copiedFrom ? "package.copied" : "package.created",
      targetType: "package",
      targetId: id,
      summary: {
        name: config.name,
        sales_rules: config.sales_rules.length,
        perks: config.perks.length,
        copied_from: copiedFrom,
      },
    },
    now,
  );
  return row;
}
