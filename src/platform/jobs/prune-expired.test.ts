import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { EXPIRED_RETENTION_DAYS, pruneExpired } from "./prune-expired.js";

/** Ended console sessions and used or expired member-center codes do not pile up for ever. */
let t: TestApp;
let a: TestTenant;
let b: TestTenant;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  t = await createTestApp({ config: { loginRateLimitPerMinute: 0 } });
  a = await createTestTenant(t, "Tenant A");
  b = await createTestTenant(t, "Tenant B");
});
afterAll(async () => t?.close());

async function userOf(tenant: TestTenant, email: string) {
  const r = await t.app.inject({
    method: "POST",
    url: "/v1/users",
    headers: tenant.auth,
    payload: { email, name: email, password: PASSWORD, role: "operator" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return email;
}

async function signIn(tenant: TestTenant, email: string) {
  const r = await t.app.inject({
    method: "POST",
    url: "/v1/sessions",
    payload: { tenant_id: tenant.tenantId, email, password: PASSWORD },
  });
  expect(r.statusCode, r.body).toBe(201);
  const cookie = r.cookies.find((c) => c.name === "vs_session")!;
  return {
    id: json<{ id: string }>(r).id,
    write: {
      cookie: `vs_session=${cookie.value}`,
      "x-csrf-token": json<{ csrf_token: string }>(r).csrf_token,
    },
  };
}

async function link(tenant: TestTenant, memberId: string) {
  const r = await t.app.inject({
    method: "POST",
    url: "/v1/member-center/links",
    headers: tenant.auth,
    payload: { member_id: memberId },
  });
  expect(r.statusCode, r.body).toBe(201);
  return new URL(json<{ url: string }>(r).url).searchParams.get("code")!;
}

const sessionIds = async (tenant: TestTenant) =>
  (
    await t.database.owner
      .selectFrom("sessions")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute()
  ).map((r) => r.id);
const codeCount = async (tenant: TestTenant) =>
  Number(
    (
      await sql<{
        n: string;
      }>`select count(*) as n from member_center_codes where tenant_id = ${tenant.tenantId}`.execute(
        t.database.owner,
      )
    ).rows[0]!.n,
  );

describe("pruning ended sessions and member-center codes", () => {
  it(`removes them ${EXPIRED_RETENTION_DAYS} days after they ended, in batches, for every tenant, and nothing live`, async () => {
    const emailA = await userOf(a, "a@example.com");
    const emailB = await userOf(b, "b@example.com");
    const signedOut = await signIn(a, emailA);
    const out = await t.app.inject({
      method: "DELETE",
      url: "/v1/sessions/current",
      headers: signedOut.write,
    });
    expect(out.statusCode, out.body).toBe(204);
    const lapsed = await signIn(a, emailA);
    const otherTenants = await signIn(b, emailB);
    const memberA = await walletClient(t, a).newMember("Ada");
    const used = await link(a, memberA);
    const exchanged = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/sessions",
      payload: { tenant_id: a.tenantId, code: used },
    });
    expect(exchanged.statusCode, exchanged.body).toBe(201);
    await link(a, memberA);
    await link(b, await walletClient(t, b).newMember("Bo"));

    // Within the retention period after they ended, every row stays.
    t.clock.advanceDays(EXPIRED_RETENTION_DAYS);
    expect(await pruneExpired(t.deps, { batch: 1 })).toEqual({ sessions: 0, member_center_codes: 0 });
    expect(await sessionIds(a)).toHaveLength(2);

    t.clock.advanceDays(1);
    const live = await signIn(a, emailA);
    await link(a, memberA);
    const removed = await pruneExpired(t.deps, { batch: 1 });
    expect(removed).toEqual({ sessions: 3, member_center_codes: 3 });
    expect(await sessionIds(a)).toEqual([live.id]);
    expect(await sessionIds(b)).toEqual([]);
    expect(await codeCount(a)).toBe(1);
    expect(await codeCount(b)).toBe(0);
    expect([signedOut.id, lapsed.id, otherTenants.id]).not.toContain(live.id);

    // The live session still works.
    const me = await t.app.inject({ method: "GET", url: "/v1/sessions/current", headers: live.write });
    expect(me.statusCode, me.body).toBe(200);
  });

  it("keeps a session that started before the cutoff but was used past it, until it too has ended that long", async () => {
    const email = await userOf(a, "slider@example.com");
    const session = await signIn(a, email);
    const startedAt = t.clock.now().getTime();
    // Used every hour for eleven hours: its end slides to twelve hours after sign-in.
    for (let hour = 1; hour <= 11; hour++) {
      t.clock.advance(3_600_000);
      const used = await t.app.inject({ method: "GET", url: "/v1/sessions/current", headers: session.write });
      expect(used.statusCode, used.body).toBe(200);
    }
    const retention = EXPIRED_RETENTION_DAYS * 86_400_000;
    t.clock.set(new Date(startedAt + retention + 6 * 3_600_000));
    await pruneExpired(t.deps, { batch: 1 });
    expect(await sessionIds(a)).toContain(session.id);
    t.clock.set(new Date(startedAt + retention + 12 * 3_600_000 + 60_000));
    await pruneExpired(t.deps, { batch: 1 });
    expect(await sessionIds(a)).not.toContain(session.id);
  });
});
