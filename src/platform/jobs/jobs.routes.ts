import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { DomainError } from "../../shared/errors.js";
import { MANAGERS } from "../auth/permissions.js";
import { requireTenantWide } from "../events/events.routes.js";
import { errorResponses, Obj, Timestamp } from "../http/schemas.js";
import { listFailedJobs, MAX_FAILED_LIST, retryFailedJob, txExecutor } from "./job-runner.js";

const FailedJob = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    object: Type.Literal("job"),
    name: Type.String({ examples: ["files.run"] }),
    data: Type.Record(Type.String(), Type.Unknown()),
    error: Type.String(),
    retry_count: Type.Integer(),
    created_at: Timestamp,
    failed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: "FailedJob" },
);

const JobIdParam = Type.String({ maxLength: 36, format: "uuid" });

/** Admin view of the tenant's background jobs that failed after all their retries. */
export async function jobsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  // pg-boss's tables are read through a system transaction (the app role may not see them).
  const failed = (tenantId: string, limit: number) =>
    deps.db.systemTx((trx) => listFailedJobs(txExecutor(trx), tenantId, limit));
  const retry = (tenantId: string, id: string) =>
    deps.db.systemTx((trx) => retryFailedJob(txExecutor(trx), tenantId, id));

  app.get(
    "/v1/jobs/failed",
    {
      config: { permission: "jobs.manage", tenantWide: true },
      schema: {
        tags: ["jobs"],
        summary: "Jobs of this tenant that failed after their retries, newest first, with their errors",
        querystring: Obj({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FAILED_LIST, default: 50 })),
        }),
        response: {
          200: Type.Object({
            object: Type.Literal("list"),
            data: Type.Array(FailedJob),
            has_more: Type.Boolean(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      requireTenantWide(request.actor);
      const limit = request.query.limit ?? 50;
      const jobs = await failed(request.actor.tenantId, limit + 1);
      return {
        object: "list" as const,
        has_more: jobs.length > limit,
        data: jobs.slice(0, limit).map((j) => ({
          ...j,
          object: "job" as const,
          created_at: j.created_at.toISOString(),
          failed_at: j.failed_at?.toISOString() ?? null,
        })),
      };
    },
  );

  app.post(
    "/v1/jobs/:id/retry",
    {
      config: { permission: "jobs.manage", tenantWide: true },
      schema: {
        tags: ["jobs"],
        summary: "Queue a failed job again",
        params: Obj({ id: JobIdParam }),
        response: {
          202: Type.Object({ id: Type.String(), status: Type.Literal("retry") }),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      requireTenantWide(request.actor);
      const retried = await retry(request.actor.tenantId, request.params.id);
      if (!retried) throw new DomainError("job_not_found", "No failed job of this tenant has that id");
      reply.code(202);
      return { id: request.params.id, status: "retry" as const };
    },
  );
}

/** Failed background jobs. */
export const jobsManifest: ModuleManifest = {
  name: "platform.jobs",
  routes: jobsRoutes,
  permissions: { "jobs.manage": MANAGERS },
};
