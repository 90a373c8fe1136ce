import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitEvent } from "../src/platform/events/outbox.js";
import { type PlatformServices, startPlatformServices } from "../src/platform/jobs/worker.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./helpers/app.js";
import { waitFor } from "./helpers/wait.js";

/** The wiring: the job runner as the server runs it, driving exports, outbox and webhooks. */
let t: TestApp;
let a: TestTenant;
let platform: PlatformServices;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-worker-"));
  t = await createTestApp({
    config: { dataDir, webhooksAllowPrivate: true },
    extend: async (base) => {
      // The test database's URL is the owner's: what pg-boss needs.
      const url = (base.db.pool.options as { connectionString: string }).connectionString;
      platform = await startPlatformServices(base, { ownerUrl: url, work: true, tickSeconds: 0.5 });
      return { jobs: platform.jobs, notifier: platform.notifier };
    },
  });
  a = await createTestTenant(t, "Worker");
});
afterAll(async () => {
  await platform.stop();
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("worker", () => {
  it("runs an export requested through the API as a background job", async () => {
    const started = await t.app.inject({
      method: "POST",
      url: "/v1/exports",
      headers: a.auth,
      payload: { type: "audit_events", format: "xlsx" },
    });
    expect(started.statusCode, started.body).toBe(202);
    const id = json<{ id: string }>(started).id;
    const done = await waitFor(async () => {
      const job = json<{ status: string }>(await t.app.inject({ url: `/v1/exports/${id}`, headers: a.auth }));
      return job.status === "succeeded" || job.status === "failed" ? job : undefined;
    }, "export job");
    expect(done.status).toBe("succeeded");
  });

  it("dispatches committed events to a webhook endpoint without anyone calling the dispatcher", async () => {
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/webhook-endpoints",
      headers: a.auth,
      payload: { url: `http://127.0.0.1:${port}/in`, event_types: ["member.created"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const eventId = await t.deps.db.tenantTx(a.tenantId, (trx) =>
      emitEvent(
        trx,
        { tenantId: a.tenantId, type: "member.created", data: { member_id: "mbr_9" } },
        t.clock.now(),
      ),
    );
    await waitFor(() => received.length > 0, "the webhook delivery");
    expect(JSON.parse(received[0]!)).toMatchObject({ id: eventId, type: "member.created" });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("lists a tenant's failed jobs with their errors and retries one", async () => {
    // A job whose retries run out: it names an import that does not exist.
    const jobId = await t.deps.jobs!.send("files.run", { tenantId: a.tenantId, id: "imp_missing" });
    const listFailed = async () =>
      json<{ data: { id: string; name: string; error: string; retry_count: number; failed_at: string }[] }>(
        await t.app.inject({ url: "/v1/jobs/failed", headers: a.auth }),
      ).data;
    const failed = await waitFor(async () => {
      const data = await listFailed();
      return data.length > 0 ? data : undefined;
    }, "the job to fail after its retry");
    expect(failed).toEqual([
      expect.objectContaining({ id: jobId, name: "files.run", error: "File job not found", retry_count: 1 }),
    ]);
    const other = await createTestTenant(t, "Other");
    expect(
      json<{ data: unknown[] }>(await t.app.inject({ url: "/v1/jobs/failed", headers: other.auth })).data,
    ).toEqual([]);
    expect(
      (await t.app.inject({ method: "POST", url: `/v1/jobs/${jobId}/retry`, headers: other.auth }))
        .statusCode,
    ).toBe(404);
    const retried = await t.app.inject({ method: "POST", url: `/v1/jobs/${jobId}/retry`, headers: a.auth });
    expect(retried.statusCode, retried.body).toBe(202);
    // It runs again (and, the import still missing, fails again: a later failure).
    await waitFor(async () => {
      const again = await listFailed();
      return again.length === 1 && again[0]!.failed_at > failed[0]!.failed_at;
    }, "the retried job to run");
  });
});
