import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { recordAudit } from "../audit/audit.js";
import type { RequestContext } from "../auth/actor.js";
import { ALL_STAFF, MANAGERS } from "../auth/permissions.js";
import { requireTenantWide } from "../events/events.routes.js";
import { errorResponses, IdParam, Obj } from "../http/schemas.js";
import { valueRoute } from "../http/value-route.js";
import { createTenant } from "../tenants.js";
import { type AdvanceResult, advanceTestClock, MAX_ADVANCE_MS } from "./advance-clock.js";
import { SANDBOX_ERRORS, SandboxError } from "./sandbox.errors.js";
import {
  AdvanceBody,
  Advanced,
  advancedView,
  Sandbox,
  SandboxBody,
  SandboxList,
  SandboxListQuery,
  SandboxSummary,
  sandboxView,
  TestClock,
  testClockView,
} from "./sandbox.schemas.js";
import {
  archiveSandbox,
  listSandboxes,
  MAX_ACTIVE_SANDBOXES,
  restoreSandbox,
  type SandboxRow,
} from "./sandboxes.js";
import {
  clockStartRefusal,
  readTestClock,
  type TestClockState,
  testClockNow,
  underlyingNow,
} from "./tenant-clock.js";

const tags = ["sandbox"];

/** Sandboxes of a live tenant, and a sandbox's test clock. */
export async function sandboxRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const testClockOf = async (ctx: RequestContext): Promise<TestClockState> => {
    const state = await db.tenantTx(ctx.actor.tenantId, (trx) => readTestClock(trx, ctx.actor.tenantId));
    if (!state)
      throw new SandboxError(
        "live_tenant",
        "A live tenant runs on real time: only a sandbox has a test clock",
      );
    return state;
  };

  // Not replayed by Idempotency-Key: the answer carries the sandbox's key, shown once and never stored.
  app.post(
    "/v1/sandboxes",
    {
      config: {
        permission: "sandboxes.create",
        tenantWide: true,
        errors: ["sandbox_tenant", "sandbox_limit_reached"],
      },
      schema: {
        operationId: "createSandbox",
        tags,
        summary:
          "Create a sandbox tenant linked to this live tenant, with a frozen test clock and an owner key",
        description: `The sandbox is a tenant of its own (its data never mixes with this one's); its keys start \`vs_test_\`. It sends webhooks and notifications like a live tenant. Its clock stands still until \`POST /v1/test-clock/advance\` moves it. A live tenant has at most ${MAX_ACTIVE_SANDBOXES} active sandboxes: one more is 409 \`sandbox_limit_reached\` (archive one to free a place). Called from a sandbox: 403 \`sandbox_tenant\`.`,
        body: SandboxBody,
        response: { 201: Sandbox, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      requireTenantWide(actor);
      const now = clock.now();
      const live = await db.tenantTx(actor.tenantId, (trx) =>
        trx.selectFrom("tenants").selectAll().where("id", "=", actor.tenantId).executeTakeFirstOrThrow(),
      );
      if (live.sandbox) throw new SandboxError("sandbox_tenant", "Create sandboxes from the live tenant");
      const startsAt = request.body.clock_starts_at ? new Date(request.body.clock_starts_at) : now;
      const refusal = clockStartRefusal(startsAt, now);
      if (refusal) {
        throw new SandboxError("validation_failed", `clock_starts_at ${refusal}`, {
          errors: [{ field: "/body/clock_starts_at", message: refusal }],
        });
      }
      const created = await createTenant(
        db,
        {
          name: request.body.name,
          timezone: request.body.timezone ?? live.timezone,
          defaultCurrency: live.default_currency,
          locale: live.locale,
          sandbox: { liveTenantId: live.id, clockStartsAt: startsAt },
        },
        now,
      );
      await db.tenantTx(actor.tenantId, (trx) =>
        recordAudit(
          trx,
          { actor, requestId: request.id },
          { action: "sandbox.created", targetType: "tenant", targetId: created.tenantId },
          now,
        ),
      );
      reply.code(201);
      return {
        object: "sandbox" as const,
        id: created.tenantId,
        name: request.body.name.trim(),
        live_tenant_id: live.id,
        timezone: request.body.timezone ?? live.timezone,
        api_key: created.apiKey.secret,
        api_key_id: created.apiKey.record.id,
        clock: testClockView({ frozenAt: startsAt, offsetMs: 0 }, startsAt),
      };
    },
  );

  const liveTenantOf = async (tenantId: string) => {
    const tenant = await db.tenantTx(tenantId, (trx) =>
      trx.selectFrom("tenants").selectAll().where("id", "=", tenantId).executeTakeFirstOrThrow(),
    );
    if (tenant.sandbox) throw new SandboxError("sandbox_tenant", "Manage sandboxes from the live tenant");
    return tenant;
  };

  /**
   * An archive or a restore by the live tenant's owner: `change` says whether it changed the
   * sandbox, and only a change is audited — on the live tenant's log, since an archived
   * sandbox's own users can no longer read theirs.
   */
  const changeSandboxState = async (
    request: { actor: RequestContext["actor"]; id: string; params: { id: string } },
    action: "sandbox.archived" | "sandbox.restored",
    change: (
      liveTenantId: string,
      sandboxId: string,
      now: Date,
    ) => Promise<{ sandbox: SandboxRow; changed: boolean }>,
  ) => {
    const { actor } = request;
    requireTenantWide(actor);
    await liveTenantOf(actor.tenantId);
    const now = clock.now();
    const { sandbox, changed } = await change(actor.tenantId, request.params.id, now);
    if (changed) {
      await db.tenantTx(actor.tenantId, (trx) =>
        recordAudit(
          trx,
          { actor, requestId: request.id },
          { action, targetType: "tenant", targetId: sandbox.id, summary: { name: sandbox.name } },
          now,
        ),
      );
    }
    return sandboxView(sandbox, underlyingNow(clock));
  };

  app.get(
    "/v1/sandboxes",
    {
      config: { permission: "sandboxes.read", tenantWide: true, errors: ["sandbox_tenant"] },
      schema: {
        operationId: "listSandboxes",
        tags,
        summary: "List this live tenant's sandboxes, newest first, archived ones included",
        description: `Owners and admins of the live tenant (tenant-wide credentials). At most ${MAX_ACTIVE_SANDBOXES} are active at a time, but archived ones accumulate: the list pages by \`starting_after\` (the last id of the previous page), \`limit\` at most 100. Each shows its test clock's now. Called from a sandbox: 403 \`sandbox_tenant\`.`,
        querystring: SandboxListQuery,
        response: { 200: SandboxList, ...errorResponses() },
      },
    },
    async (request) => {
      requireTenantWide(request.actor);
      await liveTenantOf(request.actor.tenantId);
      const { rows, hasMore } = await listSandboxes(db, request.actor.tenantId, request.query);
      const real = underlyingNow(clock);
      return { object: "list" as const, data: rows.map((row) => sandboxView(row, real)), has_more: hasMore };
    },
  );

  app.post(
    "/v1/sandboxes/:id/archive",
    {
      config: {
        permission: "sandboxes.archive",
        tenantWide: true,
        errors: ["sandbox_tenant", "sandbox_not_found"],
      },
      schema: {
        operationId: "archiveSandbox",
        tags,
        summary: "Archive a sandbox: its keys and sign-ins stop working, its jobs stop, it frees a place",
        description:
          "Owners of the live tenant only. From then on every request with the sandbox's API keys, its users' sessions or its member tokens is refused 403 `sandbox_archived`, its scheduled jobs and timeouts no longer run and its test clock no longer moves, and it no longer counts toward the cap of active sandboxes. It is an archive, not a delete: its data stays, as ledger rows are never deleted, and `POST /v1/sandboxes/{id}/restore` brings it back. Archiving an archived sandbox answers it unchanged. An id that is not one of this live tenant's sandboxes is 404 `sandbox_not_found`.",
        params: Obj({ id: IdParam }),
        response: { 200: SandboxSummary, ...errorResponses() },
      },
    },
    (request) =>
      changeSandboxState(request, "sandbox.archived", async (tenantId, id, now) => {
        const { sandbox, archived } = await archiveSandbox(db, tenantId, id, now);
        return { sandbox, changed: archived };
      }),
  );

  app.post(
    "/v1/sandboxes/:id/restore",
    {
      config: {
        permission: "sandboxes.restore",
        tenantWide: true,
        errors: ["sandbox_tenant", "sandbox_not_found", "sandbox_limit_reached"],
      },
      schema: {
        operationId: "restoreSandbox",
        tags,
        summary: "Restore an archived sandbox: its keys and sign-ins work again, its jobs run again",
        description: `Owners of the live tenant only. Undoes an archive: the sandbox's API keys, its users' sessions and its member tokens are accepted again, its scheduled jobs and timeouts run again and its test clock moves again (a frozen one where it stood). Jobs that came due while it was archived were skipped and do not run; its timeouts are kept in its rows, so the next advance runs those due. It counts toward the cap again: with ${MAX_ACTIVE_SANDBOXES} active sandboxes already, 409 \`sandbox_limit_reached\` (archive one to free a place). Restoring an active sandbox answers it unchanged. An id that is not one of this live tenant's sandboxes is 404 \`sandbox_not_found\`.`,
        params: Obj({ id: IdParam }),
        response: { 200: SandboxSummary, ...errorResponses(409) },
      },
    },
    (request) =>
      changeSandboxState(request, "sandbox.restored", async (tenantId, id, now) => {
        const { sandbox, restored } = await restoreSandbox(db, tenantId, id, now);
        return { sandbox, changed: restored };
      }),
  );

  app.get(
    "/v1/test-clock",
    {
      config: { permission: "test_clock.read", errors: ["live_tenant"] },
      schema: {
        operationId: "getTestClock",
        tags,
        summary: "The sandbox's test clock: its now, frozen or running",
        response: { 200: TestClock, ...errorResponses() },
      },
    },
    async (request) => {
      const state = await testClockOf({ actor: request.actor, requestId: request.id });
      return testClockView(state, testClockNow(state, underlyingNow(clock)));
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/test-clock/advance",
    config: {
      permission: "test_clock.advance",
      tenantWide: true,
      idempotent: true,
      errors: ["live_tenant", "clock_backwards", "advance_too_far"],
    },
    schema: {
      operationId: "advanceTestClock",
      tags,
      summary: "Move the sandbox's clock forward, running every job and timeout that falls due on the way",
      description:
        "Runs, in time order, every scheduled job (the deposit re-check every 20 minutes, daily counters at the tenant's midnight) and timeout (expiries, holds, unpaid payments) of the sandbox due up to `to`, and answers once they have run. At most two years per call; a jump with more due instants than one call runs stops early with `advance.complete: false` (advance again).",
      body: AdvanceBody,
      response: {
        200: { ...Advanced, examples: [EXAMPLE] },
        ...errorResponses(409, 422),
      },
    },
    status: 200,
    batched: false,
    guard: async (_request, ctx) => {
      requireTenantWide(ctx.actor);
      await testClockOf(ctx);
    },
    input: async (request, ctx, now) => {
      const to = new Date(request.body.to);
      if (to < now)
        throw new SandboxError(
          "clock_backwards",
          `The clock is at ${now.toISOString()}: it moves forward only`,
        );
      if (to.getTime() - now.getTime() > MAX_ADVANCE_MS) {
        throw new SandboxError("advance_too_far", "One advance moves the clock at most two years");
      }
      return advanceTestClock(deps, ctx.actor.tenantId, to);
    },
    op: async (uow, ctx, result: AdvanceResult) => {
      await recordAudit(
        uow,
        ctx,
        {
          action: "test_clock.advanced",
          targetType: "tenant",
          targetId: ctx.actor.tenantId,
          summary: { from: result.from, to: result.reached, steps: result.steps, runs: result.runs },
        },
        result.reached,
      );
      return result;
    },
    respond: (result) => advancedView(result),
  });
}

const EXAMPLE = {
  object: "test_clock",
  now: "2026-11-24T00:20:00.000Z",
  status: "frozen",
  offset_ms: 0,
  advance: {
    from: "2026-11-23T23:55:00.000Z",
    to: "2026-11-24T00:20:00.000Z",
    complete: true,
    steps: 2,
    runs: { "deposits.recheck": 2 },
  },
};

/** Sandbox tenants and their test clocks (issue 19). */
export const sandboxManifest: ModuleManifest = {
  name: "platform.sandbox",
  routes: sandboxRoutes,
  permissions: {
    "sandboxes.create": ["owner"],
    "sandboxes.archive": ["owner"],
    "sandboxes.restore": ["owner"],
    "sandboxes.read": MANAGERS,
    "test_clock.read": ALL_STAFF,
    "test_clock.advance": MANAGERS,
  },
  errors: SANDBOX_ERRORS,
};
