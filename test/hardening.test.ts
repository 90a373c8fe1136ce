import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_AMOUNT } from "../src/shared/money.js";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "./helpers/app.js";

let t: TestApp;
let tenant: TestTenant;
let beijing: { id: string; path: string };
let shanghai: { id: string; path: string };

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Hardening");
  const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
  beijing = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Beijing");
  shanghai = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Shanghai");
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, payload: object, headers: Record<string, string>, key?: string) =>
  t.app.inject({
    method: "POST",
    url,
    payload,
    headers: { ...headers, ...(key ? { "idempotency-key": key } : {}) },
  });

async function newMember(orgUnitId: string, name: string) {
  const r = await post("/v1/members", { name, org_unit_id: orgUnitId }, tenant.auth, `member-${name}`);
  expect(r.statusCode, r.body).toBe(201);
  return json<{ id: string }>(r).id;
}

async function memberToken(memberId: string) {
  const r = await post("/v1/member-tokens", { member_id: memberId }, tenant.auth);
  expect(r.statusCode, r.body).toBe(201);
  return { authorization: `Bearer ${json<{ token: string }>(r).token}` };
}

describe("an Idempotency-Key belongs to the credential that used it", () => {
  it("a key scoped to another store cannot replay a top-up of a member it cannot see", async () => {
    const member = await newMember(beijing.id, "bj");
    const first = await post(`/v1/members/${member}/top-ups`, { amount: 100 }, tenant.auth, "order-1001");
    expect(first.statusCode, first.body).toBe(201);

    const shanghaiKey = await createTestKey(t, tenant.tenantId, "operator", shanghai.id);
    const balance = await t.app.inject({ url: `/v1/members/${member}/balance`, headers: shanghaiKey.auth });
    expect(balance.statusCode).toBe(404);
    const replay = await post(
      `/v1/members/${member}/top-ups`,
      { amount: 100 },
      shanghaiKey.auth,
      "order-1001",
    );
    expect(replay.headers["idempotent-replayed"]).toBeUndefined();
    expect(replay.statusCode).toBe(422);
    expect(json(replay).code).toBe("idempotency_key_reused");
    expect(replay.body).not.toContain("principal");

    // The credential that made the key still gets its replay.
    const own = await post(`/v1/members/${member}/top-ups`, { amount: 100 }, tenant.auth, "order-1001");
    expect(own.statusCode).toBe(201);
    expect(own.headers["idempotent-replayed"]).toBe("true");
  });

  it("one member's token cannot replay another member's top-up intent", async () => {
    const settings = await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      payload: { online_topup_enabled: true },
      headers: tenant.auth,
    });
    expect(settings.statusCode, settings.body).toBe(200);
    const x = await newMember(beijing.id, "x");
    const y = await newMember(beijing.id, "y");
    const asY = await post(
      `/v1/members/${y}/topup-intents`,
      { amount: 500 },
      await memberToken(y),
      "intent-Y-1",
    );
    expect(asY.statusCode, asY.body).toBe(201);
    const asX = await post(
      `/v1/members/${y}/topup-intents`,
      { amount: 500 },
      await memberToken(x),
      "intent-Y-1",
    );
    expect(asX.headers["idempotent-replayed"]).toBeUndefined();
    expect(asX.statusCode).toBe(422);
    expect(asX.body).not.toContain(json<{ id: string }>(asY).id);
  });
});

describe("text PostgreSQL cannot store is refused with 400 naming the field", () => {
  it.each([
    ["a NUL in a body field", "/v1/members", { name: "bad\u0000name" }, "/body/name"],
    ["a lone surrogate in a body field", "/v1/members", { name: "bad\ud800name" }, "/body/name"],
    ["a NUL in an object key", "/v1/members", { name: "ok", "k\u0000": 1 }, "/body/k\u0000"],
  ])("%s", async (_what, url, payload, field) => {
    const before = await t.database.owner.selectFrom("members").select("id").execute();
    const r = await post(url, payload, tenant.auth, `nul-${field}-${Math.random()}`);
    expect(r.statusCode, r.body).toBe(400);
    expect(json<{ code: string; errors: { field: string }[] }>(r)).toMatchObject({
      code: "validation_failed",
      errors: [{ field }],
    });
    expect(await t.database.owner.selectFrom("members").select("id").execute()).toHaveLength(before.length);
  });

  it.each([
    ["a NUL in a query parameter", "/v1/members?q=a%00b", "/query/q"],
    ["a NUL in a cursor", "/v1/members?starting_after=mbr_%00", "/query/starting_after"],
    ["a NUL in a path parameter", "/v1/members/mbr_%00/balance", "/params/id"],
  ])("%s", async (_what, url, field) => {
    const r = await t.app.inject({ url, headers: tenant.auth });
    expect(r.statusCode, r.body).toBe(400);
    expect(json<{ errors: { field: string }[] }>(r).errors[0]?.field).toBe(field);
  });

  // A body whose text has no `\u` escape has its strings taken as storable unchecked; what
  // that rests on, and the other side of it.
  it.each([
    ["a raw NUL byte in a JSON string", Buffer.from('{"name":"bad\u0000name"}'), "malformed_json"],
    [
      "a surrogate encoded in UTF-8",
      Buffer.from([...Buffer.from('{"name":"bad'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]),
      "invalid_encoding",
    ],
    [
      "an escape after an escaped backslash that makes a NUL",
      Buffer.from('{"name":"a\\\\\\u0000b"}'),
      "validation_failed",
    ],
  ])("refuses %s", async (_what, payload, code) => {
    const r = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      payload,
      headers: {
        ...tenant.auth,
        "content-type": "application/json",
        "idempotency-key": `raw-${code}-${Math.random()}`,
      },
    });
    expect(r.statusCode, r.body).toBe(400);
    expect(json<{ code: string }>(r).code).toBe(code);
  });

  it("keeps a backslash followed by u0000, which is text, not a NUL", async () => {
    const r = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      payload: Buffer.from('{"name":"a\\\\u0000b"}'),
      headers: { ...tenant.auth, "content-type": "application/json", "idempotency-key": "backslash-u" },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(json<{ name: string }>(r).name).toBe("a\\u0000b");
  });

  it("refuses nesting deeper than 64 levels without walking it", async () => {
    let deep: unknown = "x";
    for (let i = 0; i < 70; i++) deep = { a: deep };
    const r = await post("/v1/members", { name: "deep", metadata: deep }, tenant.auth, "deep-1");
    expect(r.statusCode, r.body).toBe(400);
    const field = json<{ errors: { field: string }[] }>(r).errors[0]?.field ?? "";
    expect(field.startsWith("/body/metadata/a/a")).toBe(true);
    expect(field.split("/").length).toBeLessThanOrEqual(66);
  });
});

describe("an object's keys hold to their published limits", () => {
  const longKey = "k".repeat(65);
  it.each([
    [
      "a member's metadata key past 64 characters",
      "/v1/members",
      { name: "keys", metadata: { [longKey]: 1 } },
    ],
    [
      "a ledger account's metadata key past 64 characters",
      "/v1/ledger/accounts",
      { id: "keys-account", asset: "CNY", kind: "keys", metadata: { [longKey]: 1 } },
    ],
    [
      "an export filter's name past 64 characters",
      "/v1/exports",
      { type: "members", format: "csv", filters: { [longKey]: "x" } },
    ],
  ])("%s is refused with 400 naming the object, and nothing is written", async (_what, url, payload) => {
    const count = async () => {
      const [members, accounts, jobs] = await Promise.all(
        (["members", "ledger_accounts", "file_jobs"] as const).map((table) =>
          t.database.owner.selectFrom(table).select("id").where("tenant_id", "=", tenant.tenantId).execute(),
        ),
      );
      return [members!.length, accounts!.length, jobs!.length];
    };
    const before = await count();
    const r = await post(url, payload, tenant.auth, `long-key-${url}`);
    expect(r.statusCode, r.body).toBe(400);
    const problem = json<{ code: string; errors: { field: string; message: string }[] }>(r);
    expect(problem.code).toBe("validation_failed");
    const where = url === "/v1/exports" ? "filters" : "metadata";
    expect(problem.errors).toEqual([
      { field: `/body/${where}/${longKey}`, message: "as a key must NOT have more than 64 characters" },
    ]);
    expect(await count()).toEqual(before);
  });

  it("a key of 64 characters is kept as sent", async () => {
    const key = "k".repeat(64);
    const r = await post("/v1/members", { name: "keys", metadata: { [key]: 1 } }, tenant.auth, "key-64");
    expect(r.statusCode, r.body).toBe(201);
    expect(json<{ metadata: Record<string, unknown> }>(r).metadata).toEqual({ [key]: 1 });
  });
});

describe("member tokens can be revoked", () => {
  it("an explicit revoke ends every token issued before it; a new token works", async () => {
    const member = await newMember(beijing.id, "revoked");
    const token = await memberToken(member);
    expect((await t.app.inject({ url: `/v1/members/${member}/balance`, headers: token })).statusCode).toBe(
      200,
    );
    t.clock.advance(1000);
    const revoke = await post("/v1/member-tokens/revoke", { member_id: member }, tenant.auth, "revoke-1");
    expect(revoke.statusCode, revoke.body).toBe(200);
    const refused = await t.app.inject({ url: `/v1/members/${member}/balance`, headers: token });
    expect(refused.statusCode).toBe(401);
    expect(json(refused).code).toBe("unauthenticated");
    t.clock.advance(1000);
    const fresh = await memberToken(member);
    expect((await t.app.inject({ url: `/v1/members/${member}/balance`, headers: fresh })).statusCode).toBe(
      200,
    );
  });

  it("closing a member ends its tokens at once", async () => {
    const member = await newMember(beijing.id, "closing");
    const token = await memberToken(member);
    t.clock.advance(1000);
    const closed = await t.app.inject({
      method: "PATCH",
      url: `/v1/members/${member}`,
      payload: { status: "closed" },
      headers: tenant.auth,
    });
    expect(closed.statusCode, closed.body).toBe(200);
    const refused = await t.app.inject({ url: `/v1/members/${member}/balance`, headers: token });
    expect(refused.statusCode).toBe(401);
  });

  it("a closed member gets no new token, and its tokens can still be revoked", async () => {
    const member = await newMember(beijing.id, "closed-then-minted");
    const closed = await t.app.inject({
      method: "PATCH",
      url: `/v1/members/${member}`,
      payload: { status: "closed" },
      headers: tenant.auth,
    });
    expect(closed.statusCode, closed.body).toBe(200);
    t.clock.advance(1000);
    const minted = await post("/v1/member-tokens", { member_id: member }, tenant.auth);
    expect(minted.statusCode, minted.body).toBe(422);
    expect(json(minted).code).toBe("member_closed");
    const revoke = await post(
      "/v1/member-tokens/revoke",
      { member_id: member },
      tenant.auth,
      "revoke-closed",
    );
    expect(revoke.statusCode, revoke.body).toBe(200);
  });
});

describe("a hidden balance stays hidden from the member's token everywhere", () => {
  it("the change log and reward totals show the member no balance entry", async () => {
    const member = await newMember(beijing.id, "hidden");
    const topUp = await post(`/v1/members/${member}/top-ups`, { amount: 777 }, tenant.auth, "hidden-top-up");
    expect(topUp.statusCode, topUp.body).toBe(201);
    const points = await post(
      `/v1/members/${member}/points`,
      { operation: "earn", points: 5, reason: "welcome" },
      tenant.auth,
      "hidden-pts",
    );
    expect(points.statusCode, points.body).toBeLessThan(300);
    const hide = await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      payload: { hide_balance_in_member_center: true },
      headers: tenant.auth,
    });
    expect(hide.statusCode, hide.body).toBe(200);
    const token = await memberToken(member);

    const log = await t.app.inject({ url: `/v1/members/${member}/balance-changes`, headers: token });
    expect(log.statusCode, log.body).toBe(200);
    const entries = json<{ data: { account: string }[] }>(log).data;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.account !== "balance")).toBe(true);
    expect(log.body).not.toContain("777");
    const asked = await t.app.inject({
      url: `/v1/members/${member}/balance-changes?account=balance`,
      headers: token,
    });
    expect(asked.statusCode).toBe(403);
    expect(json(asked).code).toBe("balance_hidden");
    const totals = await t.app.inject({ url: `/v1/members/${member}/reward-totals`, headers: token });
    expect(totals.statusCode).toBe(200);
    expect(json<{ data: { account: string }[] }>(totals).data.every((r) => r.account !== "balance")).toBe(
      true,
    );

    // Staff still see everything.
    const staff = await t.app.inject({ url: `/v1/members/${member}/balance-changes`, headers: tenant.auth });
    expect(json<{ data: { account: string }[] }>(staff).data.some((e) => e.account === "balance")).toBe(true);
    await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      payload: { hide_balance_in_member_center: false },
      headers: tenant.auth,
    });
  });
});

describe("uploads are not mistaken for text", () => {
  it("a raw CSV upload streams through to the import", async () => {
    const r = await t.app.inject({
      method: "POST",
      url: "/v1/imports?type=members",
      payload: "name,phone\n王五,13900000000\n",
      headers: { ...tenant.auth, "content-type": "text/csv" },
    });
    expect(r.statusCode, r.body).toBeLessThan(300);
  });
});

describe("every file we write guards formula-looking text", () => {
  it("an account statement's memo cannot run as a formula; signed amounts stay numbers", async () => {
    const auth = tenant.auth;
    const asset = await post(
      "/v1/ledger/assets",
      { code: "CSVG", scale: 2, name: "Guard" },
      auth,
      "csv-asset",
    );
    expect(asset.statusCode, asset.body).toBe(201);
    const open = async (kind: string, key: string) => {
      const r = await post("/v1/ledger/accounts", { asset: "CSVG", kind }, auth, key);
      expect(r.statusCode, r.body).toBe(201);
      return json<{ id: string }>(r).id;
    };
    const cash = await open("cash", "csv-cash");
    const wallet = await open("wallet", "csv-wallet");
    for (const [memo, amount, debit, credit] of [
      ['=HYPERLINK("http://evil.example","x")', 250, cash, wallet],
      ["=1+2", 100, wallet, cash],
    ] as const) {
      const r = await post(
        "/v1/ledger/transfers",
        { debit_account_id: debit, credit_account_id: credit, amount, code: "t", memo },
        auth,
        `csv-${amount}`,
      );
      expect(r.statusCode, r.body).toBe(201);
    }
    const csv = await t.app.inject({ url: `/v1/ledger/accounts/${wallet}/statement.csv`, headers: auth });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv.body).toContain("'=1+2");
    expect(csv.body).not.toMatch(/(^|,)=/m);
    expect(csv.body).toMatch(/,-1\.00,1\.50,/);
  });
});

describe("amounts are bounded end to end", () => {
  it("no cap above the maximum; maximal top-ups leave later ones and verify working", async () => {
    const tooHigh = await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: tenant.auth,
      payload: { max_single_amount: 2 ** 53 - 1 },
    });
    expect(tooHigh.statusCode, tooHigh.body).toBe(400);
    const raised = await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: tenant.auth,
      payload: { max_single_amount: MAX_AMOUNT },
    });
    expect(raised.statusCode, raised.body).toBe(200);
    for (const name of ["max-1", "max-2", "max-3"]) {
      const member = await newMember(beijing.id, name);
      const r = await post(
        `/v1/members/${member}/top-ups`,
        { amount: MAX_AMOUNT },
        tenant.auth,
        `top-${name}`,
      );
      expect(r.statusCode, r.body).toBe(201);
    }
    const small = await newMember(beijing.id, "after-max");
    const after = await post(`/v1/members/${small}/top-ups`, { amount: 100 }, tenant.auth, "top-after-max");
    expect(after.statusCode, after.body).toBe(201);
    const verify = await t.app.inject({ url: "/v1/ledger/verify", headers: tenant.auth });
    expect(verify.statusCode, verify.body).toBe(200);
    expect(json(verify)).toMatchObject({ ok: true, differences: [] });
    const trial = await t.app.inject({ url: "/v1/ledger/trial-balance", headers: tenant.auth });
    expect(trial.statusCode, trial.body).toBe(200);
  });
});
