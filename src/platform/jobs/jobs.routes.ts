import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { DomainError, registerErrorStatuses } from "../../shared/errors.js";
import { definePermissions, MANAGERS } from "../auth/permissions.js";
import { requireTenantWide } from "../events/events.routes.js";
import { errorResponses, Obj, Timestamp } from "../http/schemas.js";
import { MAX_FAILED_LIST } from "./job-runner.js";

definePermissions({ "jobs.manage": MANAGERS });
registerErrorStatuses({ jobs_unavailable: 503 });

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

const JobIdParam = Type.String({ pattern: "^[0-9a-fA-F-]{36}$" });

/** Admin view of the tenant's background jobs that failed after all their retries. */
export async function jobsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const runner = () => {
    if (!deps.jobs) throw new DomainError("jobs_unavailable", "The job queue is not running in this process");
    return deps.jobs;
  };

  app.get(
    "/v1/jobs/failed",
    {
      config: { permission: "jobs.manage" },
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
          ...errorResponses(503),
        },
      },
    },
    async (request) => {
      requireTenantWide(request.actor);
      const limit = request.query.limit ?? 50;
      const jobs = await runner().failedJobs(request.actor.tenantId, limit + 1);
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
      config: { permission: "jobs.manage" },
      schema: {
        tags: ["jobs"],
        summary: "Queue a failed job again",
        params: Obj({ id: JobIdParam }),
        response: {
          202: Type.Object({ id: Type.String(), status: Type.Literal("retry") }),
          ...errorResponses(503),
        },
      },
    },
    async (request, reply) => {
      requireTenantWide(request.actor);
      const retried = await runner().retry(request.actor.tenantId, request.params.id);
      if (!retried) throw new DomainError("job_not_found", "No failed job of this tenant has that id");
      reply.code(202);
      return { id: request.params.id, status: "retry" as const };
    },
  );
}
