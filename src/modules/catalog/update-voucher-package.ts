import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  type CatalogStatus,
  findVoucherPackage,
  type VoucherPackageLine,
  type VoucherPackageRow,
} from "./catalog.repository.js";
import { validatePackageLines } from "./voucher-package-lines.js";

/** Edits a voucher package: gifts from now on give the new lines; vouchers already given stay. */
export async function updateVoucherPackage(
  trx: Tx,
  context: RequestContext,
  input: { id: string; patch: { name?: string; lines?: VoucherPackageLine[]; status?: CatalogStatus } },
  now: Date,
): Promise<VoucherPackageRow> {
  const { id, patch } = input;
  const tenantId = context.actor.tenantId;
  const before = await findVoucherPackage(trx, tenantId, id);
  if (patch.lines) await validatePackageLines(trx, tenantId, patch.lines);
  const row = await trx
    .updateTable("gift_voucher_packages")
    .set({
      ...(patch.name ? { name: patch.name } : {}),
      ...(patch.lines ? { lines: JSON.stringify(patch.lines) } : {}),
      ...(patch.status ? { status: patch.status } : {}),
      updated_by: context.actor.id,
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "gift_voucher_package.updated",
      targetType: "gift_voucher_package",
      targetId: id,
      summary: { before: { name: before.name, lines: before.lines, status: before.status }, after: patch },
    },
    now,
  );
  return row;
}
