import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { errorResponses, ListQuery, listOf, Obj } from "../../platform/http/schemas.js";
import { IdParams, MemberPackageHolding, PackageHolding, SharingState } from "./enterprise.schemas.js";
import { listMemberPackages, listPackages, sharingState } from "./enterprise-views.js";

/** What the Enterprise Center shows before any change: the global switch and the packages left. */
export function enterpriseReadRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["enterprise"];

  app.get(
    "/v1/enterprises/:id/sharing",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "The master's global switch 'enable benefits sharing' as it is now",
        params: IdParams,
        response: { 200: SharingState, ...errorResponses() },
      },
    },
    async ({ actor, params }) => sharingState(db, actor, params.id),
  );

  app.get(
    "/v1/enterprises/:id/resource-packages",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "The master's own resource packages with the quantity each has left",
        params: IdParams,
        querystring: Obj({ ...ListQuery, active: Type.Optional(Type.Boolean()) }),
        response: { 200: listOf(PackageHolding), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listPackages(trx, actor, params.id, query, clock.now())),
  );

  app.get(
    "/v1/enterprise-members/:id/resource-packages",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "A member account's own resource packages and its master's, with what each has left",
        description:
          "Usage draws the member's own packages first, then (while its sharing is on) the master's; `usable` says which the member may draw now.",
        params: IdParams,
        querystring: Obj({ ...ListQuery, active: Type.Optional(Type.Boolean()) }),
        response: { 200: listOf(MemberPackageHolding), ...errorResponses(422) },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listMemberPackages(trx, actor, params.id, query, clock.now())),
  );
}
