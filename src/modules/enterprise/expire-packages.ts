import { sql } from "kysely";
import type { Database } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { expectTransfer, type UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";
import { packageAccounts } from "./resource-packages.js";

export const PACKAGE_EXPIRY_JOB = "enterprise.expire_packages";
/** Packages expired per unit of work; the job takes the next batch in a new unit. */
export const PACKAGE_EXPIRY_BATCH = 200;

/**
 * Expires the tenant's resource packages whose end has come: what a package still holds
 * (all of it if unused) returns to its grant source (`rpkg_src_<owner>_<unit>`, whose debit
 * balance is then what was granted and not expired) and the package records `expired_at`
 * and `expired_quantity`. Usage never draws a package past its end even before this runs.
 * A package is expired once (`expired_at` set under its row lock; SKIP LOCKED lets runs overlap).
 */
export async function expirePackages(uow: UnitOfWork, now: Date, limit = PACKAGE_EXPIRY_BATCH) {
  const actor = systemActor(uow.tenantId, PACKAGE_EXPIRY_JOB);
  const due = await uow.trx
    .selectFrom("resource_packages")
    .selectAll()
    .where("tenant_id", "=", uow.tenantId)
    .where("expired_at", "is", null)
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .orderBy("id")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  const expired: { packageId: string; quantity: number }[] = [];
  for (const pkg of due) {
    const quantity = (await uow.balances(pkg.account_id))?.posted ?? 0;
    if (quantity > 0) {
      expectTransfer(
        await uow.transfer({
          id: `tr_${pkg.id}_expire`,
          debit_account_id: pkg.account_id,
          credit_account_id: packageAccounts.source(pkg.owner_id, pkg.unit),
          amount: quantity,
          code: "package_expire",
          reference_module: "enterprise",
          reference_id: pkg.id,
        }),
      );
    }
    await uow.trx
      .updateTable("resource_packages")
      .set({ expired_at: now, expired_quantity: quantity })
      .where("tenant_id", "=", uow.tenantId)
      .where("id", "=", pkg.id)
      .execute();
    await recordAudit(
      uow,
      actor,
      {
        action: "resource_package.expired",
        targetType: "resource_package",
        targetId: pkg.id,
        summary: { owner_id: pkg.owner_id, unit: pkg.unit, expired_quantity: quantity },
      },
      now,
    );
    await emitEnterpriseEvent(
      uow,
      uow.tenantId,
      "enterprise.package_expired",
      {
        package_id: pkg.id,
        owner_id: pkg.owner_id,
        product_code: pkg.product_code,
        unit: pkg.unit,
        total_quantity: pkg.total_quantity,
        expired_quantity: quantity,
      },
      now,
    );
    expired.push({ packageId: pkg.id, quantity });
  }
  return expired;
}

/** Live tenants with packages due to expire (the job's fan-out; reads ids only). */
export async function tenantsWithDuePackages(db: Database, now: Date): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string }>`
      select distinct tenant_id from resource_packages p
      where expired_at is null and expires_at <= ${now} and ${liveTenantOnly("p.tenant_id")} limit 1000`.execute(
      trx,
    );
    return result.rows.map((r) => r.tenant_id);
  });
}
