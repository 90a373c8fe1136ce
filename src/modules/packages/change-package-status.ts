import type { Tx } from "../../db/database.js";
import { lockForTransaction } from "../../db/transaction-lock.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { MAX_ACTIVE_PACKAGES } from "./package-config.js";
import { PackagesError } from "./packages.errors.js";
import { findPackage, type PackageRow, type PackageStatus } from "./packages.repository.js";

export type StatusAction = "activate" | "deactivate" | "archive";

/** `inactive → active ↔ inactive → archived`; archived is final (copy it to sell again). */
const TRANSITIONS: Record<StatusAction, { from: PackageStatus; to: PackageStatus }> = {
  activate: { from: "inactive", to: "active" },
  deactivate: { from: "active", to: "inactive" },
  archive: { from: "inactive", to: "archived" },
};

/**
 * Moves a package along its status machine. Deactivating stops sales at once; periods
 * already sold run to their end. At most MAX_ACTIVE_PACKAGES are active per tenant.
 */
export async function changePackageStatus(
  trx: Tx,
  context: RequestContext,
  input: { id: string; action: StatusAction },
  now: Date,
): Promise<PackageRow> {
  const { id, action } = input;
  const { actor } = context;
  const pkg = await findPackage(trx, actor.tenantId, id, { lock: true });
  const { from, to } = TRANSITIONS[action];
  if (pkg.status !== from) {
    throw new PackagesError(
      "invalid_status_transition",
      `Cannot ${action} a package that is ${pkg.status} (only ${from} → ${to})`,
      { extra: { package_status: pkg.status } },
    );
  }
  if (to === "active") {
    // Activations of one tenant count in turn: counted side by side, each saw a free place
    // and the tenant passed the limit (eight at once against three places made six active).
    await lockForTransaction(trx, "packages_active", actor.tenantId);
    const active = await trx
      .selectFrom("packages")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("tenant_id", "=", actor.tenantId)
      .where("status", "=", "active")
      .executeTakeFirstOrThrow();
    if (Number(active.n) >= MAX_ACTIVE_PACKAGES) {
      throw new PackagesError(
        "too_many_active_packages",
        `At most ${MAX_ACTIVE_PACKAGES} packages are active at once`,
      );
    }
  }
  const row = await trx
    .updateTable("packages")
    .set({ status: to, updated_by: actor.id, updated_at: now })
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: `package.${action}d`,
      targetType: "package",
      targetId: id,
      summary: { before: from, after: to },
    },
    now,
  );
  return row;
}
