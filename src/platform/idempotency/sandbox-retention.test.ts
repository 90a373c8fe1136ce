import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { createSandbox } from "../../../test/helpers/sandbox.js";
import { IDEMPOTENCY_RETENTION_HOURS, pruneIdempotencyKeys } from "./idempotency.js";

/**
 * Keys are kept for IDEMPOTENCY_RETENTION_HOURS of real time, and the prune runs on real time:
 * a sandbox's test clock (frozen where it was created, or moved anywhere) must not shorten
 * or stretch that.
 */
let t: TestApp;
let live: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t);
});
afterAll(async () => t?.close());

const createKey = (sandbox: TestTenant, key: string) =>
  t.app.inject({
    method: "POST",
    url: "/v1/api-keys",
    headers: { ...sandbox.auth, "idempotency-key": key },
    payload: { name: "till", role: "operator" },
  });

async function keysNamed(tenantId: string, name: string): Promise<number> {
  const rows = await t.database.owner
    .selectFrom("api_keys")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("name", "=", name)
    .execute();
  return rows.length;
}

describe("Idempotency-Key retention in a sandbox", () => {
  it("keeps a sandbox's key for its real retention, whatever the sandbox's clock says", async () => {
    // A sandbox whose frozen clock stands two days behind real time (as one created two days ago).
    const behind = new Date(t.clock.now().getTime() - 48 * 3_600_000).toISOString();
    const sandbox = await createSandbox(t, live, behind);

    const first = await createKey(sandbox, "sandbox-key-1");
    expect(first.statusCode, first.body).toBe(201);

    // The hourly prune, on real time, an hour later: well within the retention.
    t.clock.advance(3_600_000);
    await pruneIdempotencyKeys(t.deps.db, t.clock.now());

    const retry = await createKey(sandbox, "sandbox-key-1");
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(json<{ id: string }>(retry).id).toBe(json<{ id: string }>(first).id);
    expect(await keysNamed(sandbox.tenantId, "till")).toBe(1);
  });

  it("prunes a sandbox's key once its real retention has passed, however far ahead its clock is", async () => {
    const ahead = new Date(t.clock.now().getTime() + 365 * 86_400_000).toISOString();
    const sandbox = await createSandbox(t, live, ahead);
    const first = await createKey(sandbox, "sandbox-key-2");
    expect(first.statusCode, first.body).toBe(201);

    t.clock.advance((IDEMPOTENCY_RETENTION_HOURS + 1) * 3_600_000);
    await pruneIdempotencyKeys(t.deps.db, t.clock.now());
    const left = await t.database.owner
      .selectFrom("idempotency_keys")
      .select("key")
      .where("tenant_id", "=", sandbox.tenantId)
      .where("key", "=", "sandbox-key-2")
      .execute();
    expect(left).toEqual([]);
  });
});
