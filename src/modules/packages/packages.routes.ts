import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, listOf } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { stockLevelsOf } from "../catalog/index.js";
import { changePackageStatus, type StatusAction } from "./change-package-status.js";
import { copyPackage } from "./copy-package.js";
import { createPackage } from "./create-package.js";
import { packageOrderRoutes } from "./package-orders.routes.js";
import { packageSales } from "./package-sales.js";
import { packageStocksQuery, packageView } from "./package-views.js";
import { PackagesError } from "./packages.errors.js";
import {
  findPackage,
  type PackageRow,
  packageQuery,
  packagesQuery,
  requirePackage,
  validityModeOf,
  validityModeQuery,
} from "./packages.repository.js";
import {
  CopyBody,
  IdParams,
  Package,
  PackageBody,
  PackagePatch,
  PackageQuery,
  Sales,
  SalesQuery,
  Settings,
  SettingsBody,
  serializePackage,
  serializeSales,
  serializeSettings,
} from "./packages.schemas.js";
import { updatePackage } from "./update-package.js";
import { updatePackageSettings } from "./update-package-settings.js";

/** Packages are the tenant's catalog: staff bound to an org unit read and sell them, never change them. */
function assertTenantWide(actor: Actor) {
  if (actor.orgUnitId)
    throw new PackagesError("package_scoped_actor", "Only tenant-wide staff change packages");
}

/** Refusals of a configuration that names what does not exist or does not fit. */
const INVALID = [
  "invalid_package",
  "invalid_store_scope",
  "invalid_image",
  "invalid_agreement",
  "invalid_gift",
];

/** Plans, their status machine, Global Package Settings and sales data; orders in package-orders.routes.ts. */
export async function packagesRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["packages"];
  /** A change of one package by tenant-wide staff, answered with the package. */
  const change = <I>(
    request: Parameters<typeof contextOf>[0],
    op: (trx: Tx, ctx: ReturnType<typeof contextOf>, input: I, now: Date) => Promise<PackageRow>,
    input: I,
  ) => {
    const ctx = contextOf(request);
    assertTenantWide(ctx.actor);
    const { tenantId } = ctx.actor;
    return db.tenantTx(tenantId, async (trx) =>
      packageView(trx, tenantId, await op(trx, ctx, input, clock.now())),
    );
  };

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
    async ({ actor }) =>
      serializeSettings(
        validityModeOf(
          (await db.tenantQuery(actor.tenantId, validityModeQuery(db.kysely, actor.tenantId)))[0],
        ),
      ),
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
        body: SettingsBody,
        response: { 200: Settings, ...errorResponses(422) },
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      const input = { mode: request.body.validity_mode };
      return serializeSettings(
        await db.tenantTx(ctx.actor.tenantId, (trx) => updatePackageSettings(trx, ctx, input, clock.now())),
      );
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/packages",
    config: { permission: "packages.manage", idempotent: true, errors: ["package_scoped_actor", ...INVALID] },
    schema: {
      operationId: "createPackage",
      tags,
      summary:
        "Create a paid benefit package (inactive): up to 5 sales rules, perks of 9 types, auxiliary settings",
      description:
        "Price rule: of the prices that apply (original always; first purchase, repeat purchase or early renewal by what the member holds; limited time on its dates) the lowest is charged and its kind recorded on the order. Perks come with all rules or the selected ones.",
      body: PackageBody,
      response: { 201: Package, ...errorResponses(422) },
    },
    status: 201,
    input: ({ body }, ctx) => {
      assertTenantWide(ctx.actor);
      return body;
    },
    op: createPackage,
    respond: (row, uow) => packageView(uow.trx, uow.tenantId, row),
  });

  app.get(
    "/v1/packages",
    {
      config: { permission: "packages.read" },
      schema: {
        operationId: "listPackages",
        tags,
        summary: "Search packages by name keyword, tag and status",
        querystring: PackageQuery,
        response: { 200: listOf(Package), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      const tenantId = request.actor.tenantId;
      const page = packagesQuery(db.kysely, tenantId, {
        name: q.name,
        tag: q.tag,
        status: q.status,
        startingAfter: q.starting_after,
        limit,
      });
      const [rows, stockRows] = await db.tenantQueries(tenantId, [
        page,
        packageStocksQuery(db.kysely, tenantId, page),
      ] as const);
      const stocks = stockLevelsOf(stockRows);
      return toPage(rows, limit, (row) => serializePackage(row, stocks));
    },
  );

  app.get(
    "/v1/packages/:id",
    {
      config: { permission: "packages.read", errors: ["package_not_found"] },
      schema: {
        operationId: "getPackage",
        tags,
        summary: "Get a package with its gift stock levels",
        params: IdParams,
        response: { 200: Package, ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const row = packageQuery(db.kysely, tenantId, request.params.id);
      const [[pkg], stockRows] = await db.tenantQueries(tenantId, [
        row,
        packageStocksQuery(db.kysely, tenantId, row),
      ] as const);
      return serializePackage(requirePackage(pkg), stockLevelsOf(stockRows));
    },
  );

  app.patch(
    "/v1/packages/:id",
    {
      config: {
        permission: "packages.manage",
        errors: ["package_scoped_actor", "package_not_found", "package_archived", ...INVALID],
      },
      schema: {
        operationId: "updatePackage",
        tags,
        summary:
          "Edit a package (not archived): given fields replace the stored ones; periods sold keep their snapshot",
        params: IdParams,
        body: PackagePatch,
        response: { 200: Package, ...errorResponses(409, 422) },
      },
    },
    async (request) => change(request, updatePackage, { id: request.params.id, patch: request.body }),
  );

  const actions: [StatusAction, string][] = [
    ["activate", "Activate a package (inactive → active): it can be bought"],
    ["deactivate", "Deactivate a package (active → inactive): sales stop; periods sold run on"],
    ["archive", "Archive a package (inactive → archived): read-only, can be copied"],
  ];
  for (const [action, summary] of actions) {
    const refusals = ["package_scoped_actor", "package_not_found", "invalid_status_transition"];
    app.post(
      `/v1/packages/:id/${action}`,
      {
        config: {
          permission: "packages.manage",
          errors: action === "activate" ? [...refusals, "too_many_active_packages"] : refusals,
        },
        schema: {
          operationId: `${action}Package`,
          tags,
          summary,
          params: IdParams,
          response: { 200: Package, ...errorResponses(409, 422) },
        },
      },
      async (request) => change(request, changePackageStatus, { id: request.params.id, action }),
    );
  }

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/packages/:id/copy",
    config: {
      permission: "packages.manage",
      idempotent: true,
      errors: ["package_scoped_actor", "package_not_found", ...INVALID],
    },
    schema: {
      operationId: "copyPackage",
      tags,
      summary: "Copy a package (any status, archived included) into a new inactive one",
      params: IdParams,
      body: CopyBody,
      response: { 201: Package, ...errorResponses(422) },
    },
    status: 201,
    input: ({ params, body }, ctx) => {
      assertTenantWide(ctx.actor);
      return { id: params.id, name: body?.name };
    },
    op: copyPackage,
    respond: (row, uow) => packageView(uow.trx, uow.tenantId, row),
  });

  app.get(
    "/v1/packages/:id/sales",
    {
      config: { permission: "packages.read", tenantWide: true, errors: ["package_not_found"] },
      schema: {
        operationId: "getPackageSales",
        tags,
        summary:
          "Sales data of a package over a date range: volume, revenue, buyers, by store, channel, rule, price kind",
        description:
          "The buyers list exports through POST /v1/exports {type: package_buyers, filters: {package_id, from, to}}.",
        params: IdParams,
        querystring: SalesQuery,
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
