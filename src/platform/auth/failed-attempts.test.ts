import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { randomToken } from "./secrets.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  // The general rate limit is on as in production: it counts per credential, so on its own it
  // gives every guessed key a fresh allowance.
  t = await createTestApp({ config: { authFailuresPerMinute: 5, rateLimitPerMinute: 6000 } });
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const asKey = (secret: string, remoteAddress: string) =>
  t.app.inject({ url: "/v1/tenant", headers: { authorization: `Bearer ${secret}` }, remoteAddress });

describe("failed authentication is limited per client address", () => {
  it("invalid API keys from one address are refused with 429 after the limit, until the window ends", async () => {
    const guesser = "203.0.113.7";
    for (let i = 0; i < 5; i++) {
      expectProblem(await asKey(`vs_key_${randomToken(32)}`, guesser), 401, "unauthenticated");
    }
    const refused = await asKey(`vs_key_${randomToken(32)}`, guesser);
    expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // The address is refused before any key is looked at, valid or not.
    expectProblem(await asKey(tenant.key, guesser), 429, "rate_limited");
    // Other addresses keep their own allowance, and their valid keys work.
    expect((await asKey(tenant.key, "198.51.100.20")).statusCode).toBe(200);
    expectProblem(await asKey(`vs_key_${randomToken(32)}`, "198.51.100.20"), 401, "unauthenticated");

    t.clock.advance(61_000);
    expect((await asKey(tenant.key, guesser)).statusCode).toBe(200);
  });

  it("a revoked key counts as a failure; successes do not count", async () => {
    const address = "203.0.113.8";
    for (let i = 0; i < 20; i++) expect((await asKey(tenant.key, address)).statusCode).toBe(200);
    const revoked = await createTestKey(t, tenant.tenantId, "viewer");
    const revoke = await t.app.inject({
      method: "POST",
      url: `/v1/api-keys/${revoked.id}/revoke`,
      headers: { ...tenant.auth, "idempotency-key": "revoke-1" },
    });
    expect(revoke.statusCode, revoke.body).toBe(200);
    for (let i = 0; i < 5; i++) {
      expectProblem(await asKey(revoked.key, address), 401, "unauthenticated");
    }
    expectProblem(await asKey(revoked.key, address), 429, "rate_limited");
    t.clock.advance(61_000);
  });

  it("wrong member-center codes from one address are refused with 429 after the limit", async () => {
    const wallet = walletClient(t, tenant);
    const memberId = await wallet.newMember("Ada");
    const linked = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/links",
      headers: tenant.auth,
      payload: { member_id: memberId },
    });
    expect(linked.statusCode, linked.body).toBe(201);
    const code = new URL(json<{ url: string }>(linked).url, "http://x").searchParams.get("code")!;
    const exchange = (value: string, remoteAddress: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/member-center/sessions",
        payload: { tenant_id: tenant.tenantId, code: value },
        remoteAddress,
      });

    const guesser = "203.0.113.9";
    for (let i = 0; i < 5; i++) {
      expectProblem(await exchange(randomToken(32), guesser), 404, "member_center_code_not_found");
    }
    const refused = await exchange(randomToken(32), guesser);
    expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // A member elsewhere opening a real link is not held up by the guesser.
    expect((await exchange(code, "198.51.100.30")).statusCode).toBe(201);
    t.clock.advance(61_000);
  });
});

describe("the client address behind a trusted proxy", () => {
  let proxied: TestApp;
  let own: TestTenant;
  beforeAll(async () => {
    proxied = await createTestApp({
      config: {
        authFailuresPerMinute: 3,
        loginRateLimitPerMinute: 3,
        rateLimitPerMinute: 6000,
        trustedProxies: ["127.0.0.1", "10.0.0.0/8"],
      },
    });
    own = await createTestTenant(proxied);
  });
  afterAll(async () => proxied?.close());

  const through = (app: TestApp, peer: string, forwardedFor: string | undefined, secret: string) =>
    app.app.inject({
      url: "/v1/tenant",
      headers: {
        authorization: `Bearer ${secret}`,
        ...(forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }),
      },
      remoteAddress: peer,
    });
  const guess = () => `vs_key_${randomToken(32)}`;

  it("is the forwarded address: two clients behind the proxy are counted apart", async () => {
    for (let i = 0; i < 3; i++) {
      expectProblem(await through(proxied, "127.0.0.1", "203.0.113.40", guess()), 401, "unauthenticated");
    }
    expectProblem(await through(proxied, "127.0.0.1", "203.0.113.40", guess()), 429, "rate_limited");
    // Another client through the same proxy keeps its allowance.
    expect((await through(proxied, "127.0.0.1", "203.0.113.41", own.key)).statusCode).toBe(200);
    expectProblem(await through(proxied, "127.0.0.1", "203.0.113.41", guess()), 401, "unauthenticated");
    // The right-most address that is not a listed proxy counts: a client prepending an address of
    // its choice, or a second listed proxy in the chain, changes nothing.
    expectProblem(
      await through(proxied, "127.0.0.1", "198.51.100.1, 203.0.113.40", own.key),
      429,
      "rate_limited",
    );
    expectProblem(
      await through(proxied, "127.0.0.1", "203.0.113.40, 10.2.3.4", own.key),
      429,
      "rate_limited",
    );
  });

  it("is the peer when the peer is not a listed proxy, whatever header it sends", async () => {
    const peer = "198.51.100.60";
    for (let i = 0; i < 3; i++) {
      expectProblem(await through(proxied, peer, `203.0.113.${100 + i}`, guess()), 401, "unauthenticated");
    }
    expectProblem(await through(proxied, peer, "203.0.113.200", own.key), 429, "rate_limited");
  });

  it("is what the sign-in limit counts", async () => {
    const signIn = (forwardedFor: string) =>
      proxied.app.inject({
        method: "POST",
        url: "/v1/sessions",
        payload: { tenant_id: own.tenantId, email: "nobody@example.com", password: "wrong password" },
        headers: { "x-forwarded-for": forwardedFor },
        remoteAddress: "127.0.0.1",
      });
    for (let i = 0; i < 3; i++) expectProblem(await signIn("203.0.113.70"), 401, "invalid_credentials");
    expectProblem(await signIn("203.0.113.70"), 429, "rate_limited");
    expectProblem(await signIn("203.0.113.71"), 401, "invalid_credentials");
  });

  it("without listed proxies, X-Forwarded-For is ignored", async () => {
    // The app of the first tests lists no proxy: every request from loopback is one address.
    for (let i = 0; i < 5; i++) {
      expectProblem(await through(t, "127.0.0.1", `203.0.113.${10 + i}`, guess()), 401, "unauthenticated");
    }
    expectProblem(await through(t, "127.0.0.1", "203.0.113.99", tenant.key), 429, "rate_limited");
    expectProblem(await through(t, "127.0.0.1", undefined, tenant.key), 429, "rate_limited");
    t.clock.advance(61_000);
  });
});
