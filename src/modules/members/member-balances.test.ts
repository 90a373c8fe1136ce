import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { walletClient } from "../../../test/helpers/wallets.js";

/** Seed 004: "管理员在会员列表…都可以非常方便的查看到会员的账户余额". */
let t: TestApp;
let tenant: TestTenant;
let w: ReturnType<typeof walletClient>;
interface Listed {
  id: string;
  name: string;
  balance: { principal: number; bonus: number; total: number };
}
type Page = { data: Listed[]; has_more: boolean };
const ids: Record<string, string> = {};

const list = (q: string) => w.ok<Page>("GET", `/v1/members?${q}`);
async function all(q: string, limit: number): Promise<string[]> {
  const names: string[] = [];
  let after: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await list(`${q}&limit=${limit}${after ? `&starting_after=${after}` : ""}`);
    names.push(...page.data.map((m) => m.name));
    if (!page.has_more) return names;
    after = page.data.at(-1)!.id;
  }
  throw new Error("no last page");
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  w = walletClient(t, tenant);
  // principal, bonus (minor units): A 300.00 + 50.00, B and C 100.00 each, D nothing, E 500.00.
  for (const [name, principal, bonus] of [
    ["A", 30000, 5000],
    ["B", 10000, 0],
    ["C", 10000, 0],
    ["D", 0, 0],
    ["E", 50000, 0],
  ] as const) {
    const id = await w.newMember(name);
    ids[name] = id;
    if (principal > 0)
      await w.ok("POST", `/v1/members/${id}/top-ups`, { amount: principal, bonus_amount: bonus });
  }
  // A pays 20.00 by balance (bonus first): 300.00 + 30.00 left.
  await w.ok("POST", "/v1/wallet-payments", {
    member_id: ids.A,
    order_id: "SO-1",
    currency: "CNY",
    lines: [],
    amount_due: 2000,
    external_method: "none",
  });
});
afterAll(async () => t?.close());

describe("member list balances", () => {
  it("shows each member's principal and bonus, equal to the wallet's own balance", async () => {
    const page = await list("limit=10");
    const a = page.data.find((m) => m.id === ids.A)!;
    expect(a.balance).toEqual({ principal: 30000, bonus: 3000, total: 33000 });
    for (const m of page.data) {
      const wallet = await w.balance(m.id);
      expect(m.balance).toEqual({ principal: wallet.principal, bonus: wallet.bonus, total: wallet.total });
    }
  });

  it("sorts by balance both ways with ties in id order, and the cursor walks every member once", async () => {
    const [b, c] = [ids.B!, ids.C!].sort();
    const byName = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
    expect(await all("sort=balance_desc", 2)).toEqual(["E", "A", byName[c!], byName[b!], "D"]);
    expect(await all("sort=balance_asc", 2)).toEqual(["D", byName[b!], byName[c!], "A", "E"]);
    expect(await all("sort=balance_asc", 1)).toEqual(["D", byName[b!], byName[c!], "A", "E"]);
  });

  it("filters by a balance range (inclusive), with the other filters and the sort", async () => {
    expect(
      (await list("balance_min=10000&balance_max=33000&sort=balance_desc")).data.map((m) => m.name),
    ).toEqual(expect.arrayContaining(["A", "B", "C"]));
    expect((await list("balance_min=10000&balance_max=33000")).data).toHaveLength(3);
    expect((await list("balance_min=33001")).data.map((m) => m.name)).toEqual(["E"]);
    expect((await list("balance_max=0")).data.map((m) => m.name)).toEqual(["D"]);
    expect((await list("balance_min=10000&name=B")).data.map((m) => m.name)).toEqual(["B"]);
  });

  it("refuses a bad range, a negative bound, an unknown sort and pages above 100", async () => {
    for (const q of [
      "balance_min=5&balance_max=4",
      "balance_min=-1",
      "sort=name",
      "limit=101",
      "balance_max=1.5",
    ]) {
      expectProblem(await w.call("GET", `/v1/members?${q}`), 400, "validation_failed");
    }
  });
});

describe("a store-bound key's balance sort", () => {
  it("takes no cursor outside its stores: another store's member's balance is not compared against", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const here = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Here");
    const there = await createTestOrgUnit(t, tenant.tenantId, root, "store", "There");
    const key = await createTestKey(t, tenant.tenantId, "operator", here.id);
    const mine: string[] = [];
    for (const amount of [1000, 2000, 3000]) {
      const { id } = await w.ok<{ id: string }>("POST", "/v1/members", {
        name: `Here ${amount}`,
        org_unit_id: here.id,
      });
      await w.ok("POST", `/v1/members/${id}/top-ups`, { amount });
      mine.push(id);
    }
    const { id: secret } = await w.ok<{ id: string }>("POST", "/v1/members", {
      name: "There",
      org_unit_id: there.id,
    });
    await w.ok("POST", `/v1/members/${secret}/top-ups`, { amount: 2500 });
    // Paging after it would answer which of this store's members have less.
    const answer = await w.call(
      "GET",
      `/v1/members?sort=balance_desc&starting_after=${secret}`,
      undefined,
      key.auth,
    );
    expectProblem(answer, 400, "validation_failed");
    // Its own members still page by balance.
    const first = await w.call("GET", "/v1/members?sort=balance_desc&limit=1", undefined, key.auth);
    const [top] = (JSON.parse(first.body) as Page).data;
    expect(top!.id).toBe(mine[2]);
    const next = await w.call(
      "GET",
      `/v1/members?sort=balance_desc&limit=1&starting_after=${top!.id}`,
      undefined,
      key.auth,
    );
    expect((JSON.parse(next.body) as Page).data.map((m) => m.id)).toEqual([mine[1]]);
  });
});
