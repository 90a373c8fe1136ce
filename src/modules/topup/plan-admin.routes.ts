import type { TSchema } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { errorResponses, IdParam, Obj } from "../../platform/http/schemas.js";
import { contextOf } from "../../platform/http/value-route.js";
import { changePlanStatus, type StatusAction } from "./change-plan-status.js";
import { assertTenantWide } from "./guards.js";

/**
 * The management routes both plan tables share: `PATCH {base}/:id` (edit; later top-ups follow
 * the new terms) and `POST {base}/:id/activate|deactivate|archive`, each moving the plan along
 * its status (change-plan-status.ts). Each answers the plan as it is now; tenant-wide staff only.
 */
export function planAdminRoutes<P, U>(
  app: RouteApp,
  deps: AppDeps,
  o: {
    base: string;
    table: "topup_plans" | "smart_topup_plans";
    noun: string;
    /** The operationIds' noun: activateTopupPlan, … */
    operation: string;
    tags: string[];
    schema: TSchema;
    read: (trx: Tx, tenantId: string, id: string) => Promise<P>;
    serialize: (row: P) => unknown;
    update: {
      body: TSchema;
      summary: string;
      run: (trx: Tx, ctx: RequestContext, id: string, body: U, now: Date) => Promise<P>;
    };
  },
): void {
  app.patch(
    `${o.base}/:id`,
    {
      config: { permission: "topup.manage" },
      schema: {
        operationId: `update${o.operation}`,
        tags: o.tags,
        summary: o.update.summary,
        params: Obj({ id: IdParam }),
        body: o.update.body,
        response: { 200: o.schema, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      assertTenantWide(request.actor);
      const { id } = request.params as { id: string };
      return o.serialize(
        await deps.db.tenantTx(request.actor.tenantId, (trx) =>
          o.update.run(trx, contextOf(request), id, request.body as U, deps.clock.now()),
        ),
      );
    },
  );
  for (const action of ["activate", "deactivate", "archive"] as const satisfies readonly StatusAction[]) {
    app.post(
      `${o.base}/:id/${action}`,
      {
        config: { permission: "topup.manage" },
        schema: {
          operationId: `${action}${o.operation}`,
          tags: o.tags,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a ${o.noun} (archive: only a deactivated one)`,
          params: Obj({ id: IdParam }),
          response: { 200: o.schema, ...errorResponses(409) },
        },
      },
      async (request) => {
        assertTenantWide(request.actor);
        const tenantId = request.actor.tenantId;
        const { id } = request.params as { id: string };
        return deps.db.tenantTx(tenantId, async (trx) => {
          await changePlanStatus(trx, contextOf(request), { table: o.table, id, action }, deps.clock.now());
          return o.serialize(await o.read(trx, tenantId, id));
        });
      },
    );
  }
}
