import type { Tx } from "../../db/database.js";
import type { ExportDefinition } from "../../platform/files/registry.js";
import { parseDateTime } from "../../shared/date-time.js";
import { PackagesError } from "./packages.errors.js";
import { findPackage } from "./packages.repository.js";

/** The buyers list of a package (seed: "buyer information"), through the shared export jobs. */
const PAGE = 2000;

interface BuyerRow {
  order_id: string;
  paid_at: Date | null;
  member_id: string;
  member_name: string;
  phone: string | null;
  rule_key: string;
  price_kind: string;
  amount: number;
  currency: string;
  channel: string;
  store_id: string | null;
  payment_method: string;
  status: string;
  starts_at: Date | null;
  ends_at: Date | null;
}

function buyerFilters(filters: Record<string, unknown>) {
  if (typeof filters.package_id !== "string" || filters.package_id === "") {
    throw new PackagesError("validation_failed", "The package buyers export needs filters.package_id", {
      errors: [{ field: "/body/filters/package_id", message: "is required (a package id)" }],
    });
  }
  const date = (key: string) => {
    const v = filters[key];
    if (v === undefined) return undefined;
    const d = parseDateTime(v);
    if (!d) {
      throw new PackagesError("validation_failed", `filters.${key} must be a timestamp`, {
        errors: [{ field: `/body/filters/${key}`, message: "must be a date-time" }],
      });
    }
    return d;
  };
  return { packageId: filters.package_id, from: date("from"), to: date("to") };
}

/** The buyers the export writes (and counts): the package's paid or refunded orders in the range. */
function buyersQuery(trx: Tx, tenantId: string, f: ReturnType<typeof buyerFilters>) {
  let query = trx
    .selectFrom("package_orders as o")
    .innerJoin("members as m", (j) =>
      j.onRef("m.tenant_id", "=", "o.tenant_id").onRef("m.id", "=", "o.member_id"),
    )
    .leftJoin("package_periods as p", (j) =>
      j.onRef("p.tenant_id", "=", "o.tenant_id").onRef("p.id", "=", "o.period_id"),
    )
    .where("o.tenant_id", "=", tenantId)
    .where("o.package_id", "=", f.packageId)
    .where("o.status", "in", ["paid", "refunded"])
    // A refund_due order refunded at the provider was never paid here: no buyer.
    .where("o.paid_at", "is not", null);
  if (f.from) query = query.where("o.paid_at", ">=", f.from);
  if (f.to) query = query.where("o.paid_at", "<", f.to);
  return query;
}

export const PACKAGE_BUYERS_EXPORT: ExportDefinition<BuyerRow> = {
  type: "package_buyers",
  description:
    "A package's buyers: every paid or refunded order with the member, rule, price kind, amount, channel, store and period (filters: package_id, from, to on the payment time)",
  permission: "packages.read",
  validateFilters: (filters) => void buyerFilters(filters),
  // A package that is not there answers 404 as a look-up of it does, not an empty file.
  checkReferences: async (trx, tenantId, filters) =>
    void (await findPackage(trx, tenantId, buyerFilters(filters).packageId)),
  columns: [
    { key: "order_id", header: "order_id", value: (r) => r.order_id },
    { key: "paid_at", header: "paid_at", value: (r) => r.paid_at },
    { key: "member_id", header: "member_id", value: (r) => r.member_id },
    { key: "member_name", header: "member_name", value: (r) => r.member_name },
    { key: "phone", header: "phone", value: (r) => r.phone },
    { key: "rule_key", header: "rule_key", value: (r) => r.rule_key },
    { key: "price_kind", header: "price_kind", value: (r) => r.price_kind },
    { key: "amount", header: "amount", value: (r) => r.amount },
    { key: "currency", header: "currency", value: (r) => r.currency },
    { key: "channel", header: "channel", value: (r) => r.channel },
    { key: "store_id", header: "store_id", value: (r) => r.store_id },
    { key: "payment_method", header: "payment_method", value: (r) => r.payment_method },
    { key: "status", header: "status", value: (r) => r.status },
    { key: "starts_at", header: "period_starts_at", value: (r) => r.starts_at },
    { key: "ends_at", header: "period_ends_at", value: (r) => r.ends_at },
  ],
  count: async (trx, tenantId, filters) => {
    const row = await buyersQuery(trx, tenantId, buyerFilters(filters))
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    const f = buyerFilters(filters);
    let after: string | undefined;
    for (;;) {
      let query = buyersQuery(trx, tenantId, f)
        .select([
          "o.id as order_id",
          "o.paid_at",
          "o.member_id",
          "m.name as member_name",
          "m.phone",
          "o.rule_key",
          "o.price_kind",
          "o.amount",
          "o.currency",
          "o.channel",
          "o.store_id",
          "o.payment_method",
          "o.status",
          "p.starts_at",
          "p.ends_at",
        ])
        .orderBy("o.id")
        .limit(PAGE);
      if (after) query = query.where("o.id", ">", after);
      const rows = await query.execute();
      if (rows.length === 0) return;
      yield rows as BuyerRow[];
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.order_id;
    }
  },
};
