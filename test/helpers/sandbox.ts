import { expect } from "vitest";
import { json, type TestApp, type TestTenant } from "./app.js";

/**
 * A sandbox of `live`, created over the API with its clock frozen at `startsAt`; shaped like
 * a test tenant so the module helpers (org units, keys, deposit worlds) work on it.
 */
export async function createSandbox(t: TestApp, live: TestTenant, startsAt: string): Promise<TestTenant> {
  const response = await t.app.inject({
    method: "POST",
    url: "/v1/sandboxes",
    headers: live.auth,
    payload: { name: `${live.tenantId} sandbox`, clock_starts_at: startsAt },
  });
  expect(response.statusCode, response.body).toBe(201);
  const body = json<{ id: string; api_key: string; api_key_id: string }>(response);
  const root = await t.deps.db.tenantTx(body.id, (trx) =>
    trx
      .selectFrom("org_units")
      .select("id")
      .where("tenant_id", "=", body.id)
      .where("parent_id", "is", null)
      .executeTakeFirstOrThrow(),
  );
  return {
    tenantId: body.id,
    rootOrgUnitId: root.id,
    apiKey: { secret: body.api_key, record: { id: body.api_key_id } } as TestTenant["apiKey"],
    key: body.api_key,
    auth: { authorization: `Bearer ${body.api_key}` },
  };
}

let advanceSeq = 0;

/** Advances the sandbox's test clock over HTTP until it reaches `to`; returns the runs per job. */
export async function advanceTo(
  t: TestApp,
  sandbox: TestTenant,
  to: string,
): Promise<Record<string, number>> {
  const runs: Record<string, number> = {};
  for (let call = 0; call < 20; call++) {
    const response = await t.app.inject({
      method: "POST",
      url: "/v1/test-clock/advance",
      headers: { ...sandbox.auth, "idempotency-key": `advance-${++advanceSeq}` },
      payload: { to },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = json<{ now: string; advance: { complete: boolean; runs: Record<string, number> } }>(
      response,
    );
    for (const [job, n] of Object.entries(body.advance.runs)) runs[job] = (runs[job] ?? 0) + n;
    if (body.advance.complete) {
      expect(body.now).toBe(new Date(to).toISOString());
      return runs;
    }
  }
  throw new Error(`the clock did not reach ${to} in 20 calls`);
}
