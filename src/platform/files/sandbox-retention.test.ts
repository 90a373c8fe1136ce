import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { createSandbox } from "../../../test/helpers/sandbox.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { fileDeps } from "../jobs/worker.js";
import { DEFAULT_RETENTION_DAYS, pruneFiles } from "./file-jobs.js";

/**
 * An export's file is kept DEFAULT_RETENTION_DAYS real days, and the prune runs on real time:
 * a sandbox's test clock (frozen where it was created, or moved ahead) must not change that.
 */
let t: TestApp;
let live: TestTenant;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t);
});
afterAll(async () => t?.close());

async function finishedExport(sandbox: TestTenant): Promise<string> {
  const started = await t.app.inject({
    method: "POST",
    url: "/v1/exports",
    headers: sandbox.auth,
    payload: { type: "audit_events", format: "csv" },
  });
  expect(started.statusCode, started.body).toBe(202);
  const id = json<{ id: string }>(started).id;
  await waitFor(async () => {
    const job = await t.app.inject({ method: "GET", url: `/v1/exports/${id}`, headers: sandbox.auth });
    return json<{ status: string }>(job).status === "succeeded";
  }, "the export to finish");
  return id;
}

const download = (sandbox: TestTenant, id: string) =>
  t.app.inject({ method: "GET", url: `/v1/exports/${id}/download`, headers: sandbox.auth });

describe("export files of a sandbox", () => {
  it("stay downloadable for their real retention when the sandbox's clock stands days behind", async () => {
    // Frozen where it was created, ten days ago.
    const behind = new Date(t.clock.now().getTime() - 10 * DAY_MS).toISOString();
    const sandbox = await createSandbox(t, live, behind);
    const id = await finishedExport(sandbox);

    // The hourly prune, an hour later.
    t.clock.advance(3_600_000);
    await pruneFiles(fileDeps(t.deps), t.clock.now());
    const response = await download(sandbox, id);
    expect(response.statusCode, response.body).toBe(200);
  });

  it("can be downloaded when the sandbox's clock stands ahead, and are pruned after their real retention", async () => {
    const ahead = new Date(t.clock.now().getTime() + 365 * DAY_MS).toISOString();
    const sandbox = await createSandbox(t, live, ahead);
    const id = await finishedExport(sandbox);
    const response = await download(sandbox, id);
    expect(response.statusCode, response.body).toBe(200);

    t.clock.advance((DEFAULT_RETENTION_DAYS + 1) * DAY_MS);
    await pruneFiles(fileDeps(t.deps), t.clock.now());
    const gone = await download(sandbox, id);
    expect(gone.statusCode, gone.body).toBe(410);
  });
});
