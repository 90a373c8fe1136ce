import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { Actor, RequestContext } from "../../platform/auth/actor.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import { giftStockLevels } from "../catalog/index.js";
import { changePackageStatus, type StatusAction } from "./change-package-status.js";
import { copyPackage } from "./copy-package.js";
import { createPackage } from "./create-package.js";
import { giftStockKey, PackageFields } from "./package-config.js";
import { packageOrderRoutes } from "./package-orders.routes.js";
import { packageSales } from "./package-sales.js";
import { PackagesError } from "./packages.errors.js";
import {
  findPackage,
  listPackages,
  loadValidityMode,
  PACKAGE_STATUSES,
  type PackageRow,
} from "./packages.repository.js";
import { Package, Sales, serializePackage, serializeSales } from "./packages.schemas.js";
import { updatePackage } from "./update-package.js";
import { updatePackageSettings } from "./update-package-settings.js";
import { VALIDITY_MODES } from "./validity.js";

/** Packages are the tenant's catalog: staff bound to an org unit read and sell them, never change them. */
function assertTenantWide(actor: Actor) {
  if (actor.orgUnitId)
    throw new PackagesError("package_scoped_actor", "Only tenant-wide staff change packages");
}

export const PREMIUM_EXAMPLE = {
  name: "Premium Member Benefit Package",
  tags: ["High-End", "Quarterly"],
  audience: { min_tier: "silver" },
  channels: ["POS", "ONLINE"],
  refund_restriction: true,
  sales_rules: [
    {
      key: "quarterly",
      duration_days: 90,
      original_price: 19900,
      first_purchase_price: 15900,
      repeat_purchase_price: 17900,
      early_renewal_price: 16900,
      limited_time: { price: 13900, from_date: "2025-10-01", until_date: "2025-10-07" },
    },
  ],
  perks: [
    {
      type: "first_purchase_gift",
      key: "welcome",
      name: "First Purchase Points Bonus",
      applicable_rules: "all",
      bonus_points: 500,
      gift: { kind: "voucher", template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 1 },
      gift_stock: 1000,
    },
    {
      type: "member_discount",
      key: "ten-off",
      applicable_rules: ["quarterly"],
      benefit_id: "bnf_01jd3m2x4y5z6a7b8c9d0e1f2g",
    },
  ],
};

async function withStocks(trx: Tx, tenantId: string, rows: PackageRow[]) {
  const keys = rows.flatMap((r) => r.perks.map((p) => giftStockKey(r.id, p.key)));
  return giftStockLevels(trx, tenantId, keys);
}

/** Plans, their status machine, Global Package Settings and sales data; orders in package-orders.routes.ts. */
export async function packagesRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["packages"];
  const one = async (trx: Tx, tenantId: string, row: PackageRow) =>
    serializePackage(row, await withStocks(trx, tenantId, [row]));
  /** A change of one package by tenant-wide staff, answered with the package. */
  const change = (
    request: { actor: Actor; id: string },
    op: (trx: Tx, context: RequestContext, now: Date) => Promise<PackageRow>,
  ) => {
    const { actor } = request;
    assertTenantWide(actor);
    return db.tenantTx(actor.tenantId, async (trx) =>
      one(trx, actor.tenantId, await op(trx, { actor, requestId: request.id }, clock.now())),
    );
  };

  const Settings = Type.Object({
    object: Type.Literal("package_settings"),
    validity_mode: StringEnum(VALIDITY_MODES, {
      description:
        "immediate: a 3-day package bought 23:00 Dec 8 runs to 23:00 Dec 11; purchase_day: to the end of Dec 10; next_day: Dec 9 00:00 to the end of Dec 11",
    }),
    updated_at: Type.Union([Timestamp, Type.Null()]),
  });

  app.get(
    "/v1/package-settings",
    {
      config: { permission: "packages.read" },
      schema: {
        operationId: "getPackageSettings",
        tags,
        summary: "Global Package Settings: how every package's validity period is placed",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async (request) => {
      const s = await db.tenantTx(request.actor.tenantId, (trx) =>
        loadValidityMode(trx, request.actor.tenantId),
      );
      return {
        object: "package_settings" as const,
        validity_mode: s.mode,
        updated_at: s.updatedAt?.toISOString() ?? null,
      };
    },
  );

  app.put(
    "/v1/package-settings",
    {
      config: { permission: "packages.settings", tenantWide: true },
      schema: {
        operationId: "updatePackageSettings",
        tags,
        summary:
          "Set the validity rule for all packages (owner or admin without an org unit); later sales only",
        body: Obj(
          { validity_mode: StringEnum(VALIDITY_MODES) },
          { examples: [{ validity_mode: "next_day" }] },
        ),
        response: { 200: Settings, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      const s = await db.tenantTx(actor.tenantId, (trx) =>
        updatePackageSettings(trx, { actor, requestId: request.id }, request.body.validity_mode, clock.now()),
      );
      return {
        object: "package_settings" as const,
        validity_mode: s.mode,
        updated_at: s.updatedAt.toISOString(),
      };
    },
  );

  app.post(
    "/v1/packages",
    {
      config: { permission: "packages.manage", idempotent: true },
      schema: {
        operationId: "createPackage",
        tags,
        summary:
          "Create a paid benefit package (inactive): up to 5 sales rules, perks of 9 types, auxiliary settings",
        description:
          "Price rule: of the prices that apply (original always; first purchase, repeat purchase or early renewal by what the member holds; limited time on its dates) the lowest is charged and its kind recorded on the order. Perks come with all rules or the selected ones.",
        body: Obj(PackageFields, { examples: [PREMIUM_EXAMPLE] }),
        response: { 201: Package, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const row = await createPackage(trx, { actor, requestId: request.id }, request.body, clock.now());
          return record(trx, 201, await one(trx, actor.tenantId, row));
        }),
      );
    },
  );

  app.get(
    "/v1/packages",
    {
      config: { permission: "packages.read" },
      schema: {
        operationId: "listPackages",
        tags,
        summary: "Search packages by name keyword, tag and status",
        querystring: Obj({
          ...ListQuery,
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          tag: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          status: Type.Optional(StringEnum(PACKAGE_STATUSES)),
        }),
        response: { 200: listOf(Package), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      const tenantId = request.actor.tenantId;
      return db.tenantTx(tenantId, async (trx) => {
        const rows = await listPackages(trx, tenantId, {
          name: q.name,
          tag: q.tag,
          status: q.status,
          startingAfter: q.starting_after,
          limit,
        });
        const stocks = await withStocks(trx, tenantId, rows);
        return toPage(rows, limit, (row) => serializePackage(row, stocks));
      });
    },
  );

  app.get(
    "/v1/packages/:id",
    {
      config: { permission: "packages.read" },
      schema: {
        operationId: "getPackage",
        tags,
        summary: "Get a package with its gift stock levels",
        params: Obj({ id: IdParam }),
        response: { 200: Package, ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      return db.tenantTx(tenantId, async (trx) =>
        one(trx, tenantId, await findPackage(trx, tenantId, request.params.id)),
      );
    },
  );

  app.patch(
    "/v1/packages/:id",
    {
      config: { permission: "packages.manage" },
      schema: {
        operationId: "updatePackage",
        tags,
        summary:
          "Edit a package (not archived): given fields replace the stored ones; periods sold keep their snapshot",
        params: Obj({ id: IdParam }),
        body: Type.Partial(Obj(PackageFields), {
          additionalProperties: false,
          minProperties: 1,
          examples: [{ refund_restriction: false, tags: ["Quarterly"] }],
        }),
        response: { 200: Package, ...errorResponses(409, 422) },
      },
    },
    async (request) =>
      change(request, (trx, context, now) =>
        updatePackage(trx, context, request.params.id, request.body, now),
      ),
  );

  const actions: [StatusAction, string][] = [
    ["activate", "Activate a package (inactive → active): it can be bought"],
    ["deactivate", "Deactivate a package (active → inactive): sales stop; periods sold run on"],
    ["archive", "Archive a package (inactive → archived): read-only, can be copied"],
  ];
  for (const [action, summary] of actions) {
    app.post(
      `/v1/packages/:id/${action}`,
      {
        config: { permission: "packages.manage" },
        schema: {
          operationId: `${action}Package`,
          tags,
          summary,
          params: Obj({ id: IdParam }),
          response: { 200: Package, ...errorResponses(409, 422) },
        },
      },
      async (request) =>
        change(request, (trx, context, now) =>
          changePackageStatus(trx, context, request.params.id, action, now),
        ),
    );
  }

  app.post(
    "/v1/packages/:id/copy",
    {
      config: { permission: "packages.manage", idempotent: true },
      schema: {
        operationId: "copyPackage",
        tags,
        summary: "Copy a package (any status, archived included) into a new inactive one",
        params: Obj({ id: IdParam }),
        body: Type.Optional(
          Obj({ name: Type.Optional(PackageFields.name) }, { examples: [{ name: "Premium Package 2026" }] }),
        ),
        response: { 201: Package, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      assertTenantWide(actor);
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const row = await copyPackage(
            trx,
            { actor, requestId: request.id },
            request.params.id,
            request.body?.name,
            clock.now(),
          );
          return record(trx, 201, await one(trx, actor.tenantId, row));
        }),
      );
    },
  );

  app.get(
    "/v1/packages/:id/sales",
    {
      config: { permission: "packages.read", tenantWide: true },
      schema: {
        operationId: "getPackageSales",
        tags,
        summary:
          "Sales data of a package over a date range: volume, revenue, buyers, by store, channel, rule, price kind",
        description:
          "The buyers list exports through POST /v1/exports {type: package_buyers, filters: {package_id, from, to}}.",
        params: Obj({ id: IdParam }),
        querystring: Obj({ from: Timestamp, to: Timestamp }),
        response: { 200: Sales, ...errorResponses(422) },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const range = { from: new Date(request.query.from), to: new Date(request.query.to) };
      if (range.from >= range.to) {
        throw new PackagesError("validation_failed", "from must be before to", {
          errors: [{ field: "/querystring/to", message: "must be after from" }],
        });
      }
      return db.tenantTx(tenantId, async (trx) => {
        const pkg = await findPackage(trx, tenantId, request.params.id);
        return serializeSales(pkg.id, pkg.currency, range, await packageSales(trx, tenantId, pkg.id, range));
      });
    },
  );

  await packageOrderRoutes(app, deps);
}
