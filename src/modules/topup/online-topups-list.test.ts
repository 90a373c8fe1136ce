import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { exportedRows } from "../../../test/helpers/exports.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { notifyTopupPayment, type TopupBody, topupClient } from "../../../test/helpers/topup.js";
import type { FileDeps } from "../../platform/files/file-jobs.js";

/**
 * Seed 004's "查看充值订单记录" and seed 001's top-up plans together: a plan top-up the member
 * paid online is one of the tenant's online top-up orders, listed, filtered, paged and exported
 * beside the balance's own online top-ups, with the plan and what it credited.
 */
let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;
let files: FileDeps;

interface Item {
  id: string;
  object: string;
  source: string;
  member_id: string;
  member_name: string;
  plan_id: string | null;
  plan_name: string | null;
  amount: number;
  bonus_amount: number;
  points: number;
  provider: string | null;
  status: string;
  completed_at: string | null;
  created_at: string;
}
type Page = { data: Item[]; has_more: boolean };
const list = async (q: string, headers = tenant.auth) => {
  const res = await t.app.inject({ url: `/v1/topup-intents?${q}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return json<Page>(res);
};

let wang: string;
let li: string;
let plan: string;
let intent: string;
let paid: TopupBody;
let pending: TopupBody;
let offline: TopupBody;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  c = topupClient(t, tenant);
  files = { db: t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-online-topups-")) };
  await c.ok("PATCH", "/v1/wallet-settings", { online_topup_enabled: true });
  wang = (await c.ok<{ id: string }>("POST", "/v1/members", { name: "Wang Fang" })).id;
  li = (await c.ok<{ id: string }>("POST", "/v1/members", { name: "Li Lei" })).id;
  plan = await c.plan({
    kind: "package",
    name: "Summer Prepaid Bonus",
    rule: { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 50 },
  });
  // 08:00 a balance top-up of 50.00, 08:20 Wang's plan top-up (paid), 08:40 Li's (unpaid),
  // 09:00 one at the till, which is no online payment.
  intent = (await c.ok<{ id: string }>("POST", `/v1/members/${wang}/topup-intents`, { amount: 5_000 })).id;
  t.clock.advanceMinutes(20);
  paid = json<TopupBody>(
    await c.topUp(plan, { member_id: wang, channel: "online", payment_method: "online" }),
  );
  const notified = await notifyTopupPayment(t, tenant.tenantId, paid, {
    id: "evt_plan_1",
    status: "succeeded",
  });
  expect(notified.statusCode, notified.body).toBe(200);
  t.clock.advanceMinutes(20);
  pending = json<TopupBody>(
    await c.topUp(plan, { member_id: li, channel: "online", payment_method: "online" }),
  );
  t.clock.advanceMinutes(20);
  offline = json<TopupBody>(
    await c.topUp(plan, { member_id: li, channel: "pos", payment_method: "offline" }),
  );
  expect(offline.status).toBe("credited");
});
afterAll(async () => {
  await t?.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

describe("online top-ups bought through a top-up plan", () => {
  it("are listed with the balance's online top-ups, newest first, with the plan and what it credited", async () => {
    const all = await list("");
    expect(
      all.data.map((i) => [
        i.id,
        i.source,
        i.member_name,
        i.plan_name,
        i.amount,
        i.bonus_amount,
        i.points,
        i.status,
      ]),
    ).toEqual([
      [pending.id, "plan", "Li Lei", "Summer Prepaid Bonus", 10_000, 1_000, 50, "pending"],
      [paid.id, "plan", "Wang Fang", "Summer Prepaid Bonus", 10_000, 1_000, 50, "succeeded"],
      [intent, "balance", "Wang Fang", null, 5_000, 0, 0, "pending"],
    ]);
    expect(all.data[1]).toMatchObject({
      object: "topup",
      plan_id: plan,
      provider: "test",
      created_at: "2026-11-23T08:20:00.000Z",
      completed_at: "2026-11-23T08:20:00.000Z",
    });
    expect(all.data[2]).toMatchObject({ object: "topup_intent", plan_id: null, provider: "test" });
  });

  it("are filtered by status, provider, member, source and time, and paged by cursor across both", async () => {
    const ids = async (q: string) => (await list(q)).data.map((i) => i.id);
    expect(await ids("status=succeeded")).toEqual([paid.id]);
    expect(await ids("status=pending")).toEqual([pending.id, intent]);
    expect(await ids("provider=test")).toEqual([pending.id, paid.id, intent]);
    expect(await ids("provider=alipay")).toEqual([]);
    expect(await ids(`member_id=${wang}`)).toEqual([paid.id, intent]);
    expect(await ids("source=plan")).toEqual([pending.id, paid.id]);
    expect(await ids("source=balance")).toEqual([intent]);
    expect(await ids("created_from=2026-11-23T08:10:00Z&created_to=2026-11-23T08:30:00Z")).toEqual([paid.id]);
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = await list(`limit=1${after ? `&starting_after=${after}` : ""}`);
      seen.push(...page.data.map((i) => i.id));
      if (!page.has_more) break;
      after = page.data.at(-1)!.id;
    }
    expect(seen).toEqual([pending.id, paid.id, intent]);
    expect(await ids(`limit=2&starting_after=${paid.id}`)).toEqual([intent]);
    expectProblem(
      await t.app.inject({ url: "/v1/topup-intents?source=till", headers: tenant.auth }),
      400,
      "validation_failed",
    );
  });

  it("staff bound to a store see none of other members' plan top-ups", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const store = await createTestOrgUnit(t, tenant.tenantId, root, "store", "North store");
    const clerk = await createTestKey(t, tenant.tenantId, "operator", store.id);
    expect((await list("", clerk.auth)).data).toEqual([]);
  });

  it("are in the topup_intents export with the plan and what it credited", async () => {
    const tenantId = tenant.tenantId;
    const rows = await exportedRows(t, files, tenantId, "topup_intents", { provider: "test" });
    expect(
      rows.map((r) => [r.intent_id, r.source, r.plan_name, r.amount, r.bonus_amount, r.points, r.status]),
    ).toEqual([
      [intent, "balance", "", "5000", "0", "0", "pending"],
      [paid.id, "plan", "Summer Prepaid Bonus", "10000", "1000", "50", "succeeded"],
      [pending.id, "plan", "Summer Prepaid Bonus", "10000", "1000", "50", "pending"],
    ]);
  });
});
