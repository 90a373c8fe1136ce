import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectCode } from "../../../test/helpers/vouchers.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { buildApp } from "../../app.js";
import { CODE_TTL_SECONDS } from "./index.js";

let t: TestApp;
let tenant: TestTenant;
let wallet: ReturnType<typeof walletClient>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Harbour Coffee");
  wallet = walletClient(t, tenant);
});
afterAll(() => t?.close());

interface LinkBody {
  url: string;
  path: string;
  expires_at: string;
  member_id: string;
}

const link = async (memberId: string, page?: string) => {
  const r = await t.app.inject({
    method: "POST",
    url: "/v1/member-center/links",
    headers: { ...tenant.auth, host: "shop.example:8080" },
    payload: { member_id: memberId, ...(page ? { page } : {}) },
  });
  expect(r.statusCode, r.body).toBe(201);
  return json<LinkBody>(r);
};
const codeOf = (l: LinkBody) => new URL(l.url).searchParams.get("code")!;
const exchange = (code: string, tenantId = tenant.tenantId) =>
  t.app.inject({ method: "POST", url: "/v1/member-center/sessions", payload: { tenant_id: tenantId, code } });

describe("member-center links", () => {
  it("gives a link under /m/<tenant id>/ whose code trades once for a member token of that member", async () => {
    const memberId = await wallet.newMember("Ada");
    const l = await link(memberId, "vouchers");
    expect(l.url).toMatch(
      new RegExp(`^http://shop\\.example:8080/m/${tenant.tenantId}/vouchers\\?code=[\\w-]{40,}$`),
    );
    expect(l.path).toBe(new URL(l.url).pathname + new URL(l.url).search);
    expect(Date.parse(l.expires_at) - t.clock.now().getTime()).toBe(CODE_TTL_SECONDS * 1000);

    const first = await exchange(codeOf(l));
    expect(first.statusCode, first.body).toBe(201);
    const session = json<{ token: string; member_id: string; page: string; expires_at: string }>(first);
    expect(session.member_id).toBe(memberId);
    expect(session.page).toBe("vouchers");
    expect(session.token.startsWith("mt.")).toBe(true);
    // Short-lived: the configured member-token lifetime (15 minutes by default).
    expect(Date.parse(session.expires_at) - t.clock.now().getTime()).toBeLessThanOrEqual(900_000);

    const me = await t.app.inject({
      method: "GET",
      url: "/v1/member-center/me",
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    expect(json<{ name: string; points: number }>(me)).toMatchObject({ name: "Ada", points: 0 });

    expectCode(await exchange(codeOf(l)), 409, "member_center_code_used");
  });

  it("links to the top-up, cashier and student ID pages too", async () => {
    const memberId = await wallet.newMember("Bea");
    for (const page of ["topup", "cashier", "student"]) {
      expect(new URL((await link(memberId, page)).url).pathname).toBe(`/m/${tenant.tenantId}/${page}`);
    }
  });

  it("refuses an expired code, an unknown code and a code of another tenant", async () => {
    const memberId = await wallet.newMember("Bo");
    const l = await link(memberId);
    t.clock.advance(CODE_TTL_SECONDS * 1000);
    expectCode(await exchange(codeOf(l)), 410, "member_center_code_expired");
    expectCode(await exchange("x".repeat(43)), 404, "member_center_code_not_found");

    const other = await createTestTenant(t, "Other");
    const fresh = await link(memberId);
    expectCode(await exchange(codeOf(fresh), other.tenantId), 404, "member_center_code_not_found");
    // The refusal above did not use it up.
    expect((await exchange(codeOf(fresh))).statusCode).toBe(201);
  });

  it("refuses a link made before the member's tokens were revoked", async () => {
    const memberId = await wallet.newMember("Revoked");
    const made = await link(memberId);
    t.clock.advance(1000);
    const revoked = await t.app.inject({
      method: "POST",
      url: "/v1/member-tokens/revoke",
      headers: tenant.auth,
      payload: { member_id: memberId },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expectCode(await exchange(codeOf(made)), 410, "member_center_code_expired");
    t.clock.advance(1000);
    expect((await exchange(codeOf(await link(memberId)))).statusCode).toBe(201);
  });

  it("stores only the code's hash", async () => {
    const memberId = await wallet.newMember("Cy");
    const code = codeOf(await link(memberId));
    const rows = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("member_center_codes").select("code_hash").where("member_id", "=", memberId).execute(),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.code_hash).not.toContain(code);
    expect(rows[0]!.code_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the session sees only its own member: another member's id answers 404", async () => {
    const mine = await wallet.newMember("Di");
    const theirs = await wallet.newMember("Ed");
    const session = json<{ token: string }>(await exchange(codeOf(await link(mine))));
    const auth = { authorization: `Bearer ${session.token}` };
    for (const url of [
      `/v1/members/${theirs}`,
      `/v1/members/${theirs}/balance`,
      `/v1/members/${theirs}/balance-changes`,
      `/v1/members/${theirs}/vouchers`,
      `/v1/members/${theirs}/gift-cards`,
      `/v1/members/${theirs}/package-periods`,
    ]) {
      const r = await t.app.inject({ method: "GET", url, headers: auth });
      expect(r.statusCode, `${url}: ${r.body}`).toBe(404);
    }
    const own = await t.app.inject({ method: "GET", url: `/v1/members/${mine}`, headers: auth });
    expect(own.statusCode).toBe(200);
    // Staff endpoints stay closed to it.
    expectCode(await t.app.inject({ method: "GET", url: "/v1/members", headers: auth }), 403, "forbidden");
  });

  it("names who made a change to staff, and not to the member", async () => {
    const memberId = await wallet.newMember("Flo");
    // Points, not a top-up: a balance in the asset would keep a later test from changing it.
    await wallet.ok("POST", `/v1/members/${memberId}/points`, {
      operation: "earn",
      points: 100,
      reference: "o-1",
    });
    type Changes = { data: { actor_type: string; actor_label: string | null }[] };
    const url = `/v1/members/${memberId}/balance-changes`;
    const asStaff = await wallet.ok<Changes>("GET", url);
    expect(asStaff.data).toMatchObject([{ actor_type: "api_key", actor_label: tenant.apiKey.record.name }]);
    const session = json<{ token: string }>(await exchange(codeOf(await link(memberId))));
    const asMember = await t.app.inject({
      method: "GET",
      url,
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(asMember.statusCode, asMember.body).toBe(200);
    expect(json<Changes>(asMember).data).toMatchObject([{ actor_type: "api_key", actor_label: null }]);
  });

  it("refuses a link for an unknown or closed member, and a caller without the permission", async () => {
    const unknown = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/links",
      headers: tenant.auth,
      payload: { member_id: "mbr_missing" },
    });
    expectCode(unknown, 404, "member_not_found");

    const memberId = await wallet.newMember("Fa");
    const l = await link(memberId);
    await wallet.ok("PATCH", `/v1/members/${memberId}`, { status: "closed" });
    expectCode(await exchange(codeOf(l)), 422, "member_closed");

    const viewer = await createTestKey(t, tenant.tenantId, "viewer");
    const refused = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/links",
      headers: viewer.auth,
      payload: { member_id: memberId },
    });
    expectCode(refused, 403, "forbidden");
  });
});

describe("the request log", () => {
  it("keeps a link's one-time code out of the logged URL", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logged = await buildApp(t.deps, { logger: { level: "info", stream } });
    try {
      const code = codeOf(await link(await wallet.newMember("Logged")));
      await logged.inject({ url: `/m/${tenant.tenantId}/?page=home&code=${code}` });
      const requests = lines.filter((l) => l.includes(`/m/${tenant.tenantId}/`));
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.join("\n")).not.toContain(code);
      expect(requests.join("\n")).toContain("page=home");
    } finally {
      await logged.close();
    }
  });
});

describe("the public address", () => {
  it("makes a link's URL when set (VOUCHSAFE_PUBLIC_URL), whatever Host the request names; else the request's own", async () => {
    const behindProxy = await createTestApp({ config: { publicUrl: "https://pay.example.com" } });
    try {
      const own = await createTestTenant(behindProxy);
      const memberId = json<{ id: string }>(
        await behindProxy.app.inject({
          method: "POST",
          url: "/v1/members",
          headers: own.auth,
          payload: { name: "Hu" },
        }),
      ).id;
      const made = json<LinkBody>(
        await behindProxy.app.inject({
          method: "POST",
          url: "/v1/member-center/links",
          headers: { ...own.auth, host: "attacker.example" },
          payload: { member_id: memberId },
        }),
      );
      expect(made.url).toBe(`https://pay.example.com${made.path}`);
    } finally {
      await behindProxy.close();
    }
    const memberId = await wallet.newMember("Hua");
    const fromHost = json<LinkBody>(
      await t.app.inject({
        method: "POST",
        url: "/v1/member-center/links",
        headers: { ...tenant.auth, host: "shop.example:8443" },
        payload: { member_id: memberId },
      }),
    );
    expect(fromHost.url).toBe(`http://shop.example:8443${fromHost.path}`);
  });
});

describe("member-center branding", () => {
  it("is public, and tells the name, currency, zone, locale, logo, colour and whether the balance is hidden", async () => {
    const url = `/v1/member-center/tenants/${tenant.tenantId}/branding`;
    const before = json<Record<string, unknown>>(await t.app.inject({ method: "GET", url }));
    expect(before).toMatchObject({
      name: "Harbour Coffee",
      logo_url: null,
      brand_color: null,
      hide_balance: false,
    });

    const put = await t.app.inject({
      method: "PUT",
      url: "/v1/member-center-settings",
      headers: { ...tenant.auth, "idempotency-key": "look-1" },
      payload: { brand_color: "#c2410c", logo_url: "https://cdn.example/logo.png" },
    });
    expect(put.statusCode, put.body).toBe(200);
    await wallet.ok("PATCH", "/v1/wallet-settings", {
      asset: { code: "GOLD", scale: 0, symbol: "★", name: "Gold" },
      hide_balance_in_member_center: true,
    });
    const after = json<Record<string, unknown>>(await t.app.inject({ method: "GET", url }));
    expect(after).toMatchObject({
      brand_color: "#c2410c",
      logo_url: "https://cdn.example/logo.png",
      currency: { code: "GOLD", scale: 0, symbol: "★" },
      hide_balance: true,
      online_topup_enabled: false,
    });
    expect(typeof after.timezone).toBe("string");

    expectCode(
      await t.app.inject({ method: "GET", url: "/v1/member-center/tenants/ten_nothere/branding" }),
      404,
      "member_center_not_found",
    );
    const bad = await t.app.inject({
      method: "PUT",
      url: "/v1/member-center-settings",
      headers: { ...tenant.auth, "idempotency-key": "look-2" },
      payload: { brand_color: "red", logo_url: null },
    });
    expectCode(bad, 400, "validation_failed");
  });

  it("takes a logo only from an https URL or a path on this server, never another host without a scheme", async () => {
    const put = (logo_url: string, key: string) =>
      t.app.inject({
        method: "PUT",
        url: "/v1/member-center-settings",
        headers: { ...tenant.auth, "idempotency-key": key },
        payload: { brand_color: null, logo_url },
      });
    const ok = await put("/static/logo.png", "logo-path");
    expect(ok.statusCode, ok.body).toBe(200);
    // Browsers read "//host/…" and "/\host/…" as another host (over the page's own scheme).
    for (const [i, url] of ["//evil.example/logo.png", "/\\evil.example/logo.png"].entries()) {
      expectCode(await put(url, `logo-host-${i}`), 400, "validation_failed");
    }
    const branding = json<{ logo_url: string | null }>(
      await t.app.inject({ method: "GET", url: `/v1/member-center/tenants/${tenant.tenantId}/branding` }),
    );
    expect(branding.logo_url).toBe("/static/logo.png");
  });
});
