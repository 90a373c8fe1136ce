import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { createSandbox } from "../../../test/helpers/sandbox.js";
import { walletClient } from "../../../test/helpers/wallets.js";

let t: TestApp;
let sandbox: TestTenant;
let memberId: string;
let seq = 0;

beforeAll(async () => {
  t = await createTestApp();
  const live = await createTestTenant(t, "Acme");
  // The sandbox's clock stands years ahead of real time.
  sandbox = await createSandbox(t, live, "2030-01-01T00:00:00Z");
  memberId = await walletClient(t, sandbox).newMember("Ada");
});
afterAll(async () => t?.close());

const post = (url: string, payload: object) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...sandbox.auth, "idempotency-key": `sandbox-${++seq}` },
    payload,
  });
const asMember = (token: string) =>
  t.app.inject({ url: "/v1/member-center/me", headers: { authorization: `Bearer ${token}` } });

describe("a sandbox's member tokens follow real time, as the README says", () => {
  it("a member token lives its lifetime from now, not from the sandbox's clock", async () => {
    const issued = await post("/v1/member-tokens", { member_id: memberId });
    expect(issued.statusCode, issued.body).toBe(201);
    const body = json<{ token: string; expires_at: string }>(issued);
    expect(Date.parse(body.expires_at) - t.clock.now().getTime()).toBe(900_000);
    expect((await asMember(body.token)).statusCode).toBe(200);
    t.clock.advanceMinutes(16);
    expectProblem(await asMember(body.token), 401, "unauthenticated");
  });

  it("a token issued after a revocation works although the sandbox's clock stands still", async () => {
    const before = json<{ token: string }>(await post("/v1/member-tokens", { member_id: memberId })).token;
    const revoked = await post("/v1/member-tokens/revoke", { member_id: memberId });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expectProblem(await asMember(before), 401, "unauthenticated");
    t.clock.advance(1);
    const after = json<{ token: string }>(await post("/v1/member-tokens", { member_id: memberId })).token;
    expect((await asMember(after)).statusCode).toBe(200);
  });
});

describe("a sandbox's member-center links follow real time", () => {
  it("a link's code expires 5 minutes after it was made, not 5 minutes after the sandbox's time", async () => {
    const linked = await post("/v1/member-center/links", { member_id: memberId });
    expect(linked.statusCode, linked.body).toBe(201);
    const link = json<{ url: string; expires_at: string }>(linked);
    expect(Date.parse(link.expires_at) - t.clock.now().getTime()).toBe(300_000);
    t.clock.advanceMinutes(6);
    const code = new URL(link.url).searchParams.get("code")!;
    const exchanged = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/sessions",
      payload: { tenant_id: sandbox.tenantId, code },
    });
    expectProblem(exchanged, 410, "member_center_code_expired");
  });
});

describe("a sandbox's API keys expire in real time", () => {
  it("a key may be made to expire within the hour although the sandbox's clock stands years ahead", async () => {
    const expiresAt = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const created = await post("/v1/api-keys", {
      name: "short-lived",
      role: "viewer",
      expires_at: expiresAt,
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = json<{ secret: string }>(created).secret;
    const asKey = () => t.app.inject({ url: "/v1/tenant", headers: { authorization: `Bearer ${key}` } });
    expect((await asKey()).statusCode).toBe(200);
    t.clock.advanceMinutes(61);
    expectProblem(await asKey(), 401, "unauthenticated");
    // A time already past in real time is refused, though it lies ahead of the sandbox's clock.
    const past = new Date(t.clock.now().getTime() - 60_000).toISOString();
    const refused = await post("/v1/api-keys", { name: "stale", role: "viewer", expires_at: past });
    expectProblem(refused, 400, "validation_failed");
  });
});
