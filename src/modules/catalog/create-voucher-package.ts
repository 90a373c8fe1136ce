import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import type { VoucherPackageLine, VoucherPackageRow } from "./catalog.repository.js";
import { validatePackageLines } from "./voucher-package-lines.js";

/** A voucher package: a named bundle of template × quantity lines, given as one gift. */
export async function createVoucherPackage(
  uow: UnitOfWork,
  context: RequestContext,
  input: { name: string; lines: VoucherPackageLine[] },
  now: Date,
): Promise<VoucherPackageRow> {
  const trx = uow.trx;
  const { actor } = context;
  await validatePackageLines(trx, actor.tenantId, input.lines);
  const row = await trx
    .insertInto("gift_voucher_packages")
    .values({
      tenant_id: actor.tenantId,
      id: newId("gvp"),
      name: input.name,
      lines: JSON.stringify(input.lines),
      status: "active",
      created_by: actor.id,
      updated_by: actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "gift_voucher_package.created",
      targetType: "gift_voucher_package",
      targetId: row.id,
      summary: { after: input },
    },
    now,
  );
  return row;
}
