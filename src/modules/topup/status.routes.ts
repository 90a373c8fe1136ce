import type { TSchema } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { errorResponses, IdParam, Obj } from "../../platform/http/schemas.js";
import { changePlanStatus, type StatusAction } from "./change-plan-status.js";
import { assertTenantWide } from "./guards.js";

/**
 * `POST {base}/:id/activate|deactivate|archive` for one plan table: each moves the plan along
 * its status (change-plan-status.ts) and answers the plan as it is now.
 */
export function planStatusRoutes<P>(
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
  },
): void {
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
          await changePlanStatus(
            trx,
            { actor: request.actor, requestId: request.id },
            { table: o.table, id, action },
            deps.clock.now(),
          );
          return o.serialize(await o.read(trx, tenantId, id));
        });
      },
    );
  }
}
