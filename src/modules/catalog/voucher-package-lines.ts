import { Type } from "typebox";
import type { Tx } from "../../db/database.js";
import { Obj } from "../../platform/http/schemas.js";
import { CatalogError } from "./catalog.errors.js";
import type { VoucherPackageLine } from "./catalog.repository.js";
import { MAX_LINE_QUANTITY, MAX_PACKAGE_LINES, MAX_VOUCHERS_PER_GRANT } from "./gift-spec.js";

export const PackageLines = Type.Array(
  Obj({
    template_id: Type.String({ maxLength: 30, pattern: "^gvt_[0-9a-z]{26}$" }),
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  }),
  {
    minItems: 1,
    maxItems: MAX_PACKAGE_LINES,
    description: `1-${MAX_PACKAGE_LINES} lines of template × 1-${MAX_LINE_QUANTITY}; at most ${MAX_VOUCHERS_PER_GRANT} vouchers in all`,
  },
);

/** Lines name distinct active templates of the tenant and give at most MAX_VOUCHERS_PER_GRANT vouchers. */
export async function validatePackageLines(
  trx: Tx,
  tenantId: string,
  lines: VoucherPackageLine[],
): Promise<void> {
  const ids = lines.map((l) => l.template_id);
  if (new Set(ids).size !== ids.length) {
    throw new CatalogError(
      "invalid_gift",
      "Each template appears in one line only (raise its quantity instead)",
    );
  }
  const total = lines.reduce((s, l) => s + l.quantity, 0);
  if (total > MAX_VOUCHERS_PER_GRANT) {
    throw new CatalogError(
      "invalid_gift",
      `A voucher package gives at most ${MAX_VOUCHERS_PER_GRANT} vouchers`,
    );
  }
  const found = await trx
    .selectFrom("gift_voucher_templates")
    .select(["id", "status"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", ids)
    .execute();
  const active = new Set(found.filter((t) => t.status === "active").map((t) => t.id));
  const missing = ids.filter((id) => !active.has(id));
  if (missing.length > 0) {
    throw new CatalogError("invalid_gift", `Unknown or archived voucher template(s): ${missing.join(", ")}`, {
      errors: missing.map((id) => ({ field: "/body/lines", message: `${id} is not an active template` })),
    });
  }
}
