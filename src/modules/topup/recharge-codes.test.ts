import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { type TopupBody, topupClient } from "../../../test/helpers/topup.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  c = topupClient(t, tenant);
});
afterAll(async () => t?.close());

interface CodeBody {
  id: string;
  code: string;
  qr_payload: string;
  status: string;
  counts: { started: number; credited: number; amount: number; bonus_amount: number };
}

describe("recharge codes", () => {
  it("binds a code and QR payload to plan, scenario, store and channel; attributes and counts top-ups", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const store = (await createTestOrgUnit(t, tenant.tenantId, root, "store", "Front")).id;
    const plan = await c.plan({
      kind: "package",
      name: "Code plan",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 },
    });
    const code = await c.ok<CodeBody>("POST", `/v1/topup-plans/${plan}/recharge-codes`, {
      scenario: "Counter poster",
      store_id: store,
      channel: "pos",
    });
    expect(code.code).toMatch(/^[A-Z2-9]{12}$/);
    expect(code.qr_payload).toBe(`vouchsafe:topup?tenant=${tenant.tenantId}&code=${code.code}`);
    const other = await c.ok<CodeBody>("POST", `/v1/topup-plans/${plan}/recharge-codes`, {
      scenario: "Receipt",
      channel: "pos",
    });
    const m = await c.newMember();
    const base = { member_id: m, channel: "pos", payment_method: "offline" };
    // The code's store applies when the till names none.
    const a = json<TopupBody & { store_id: string }>(
      await c.topUp(plan, { ...base, amount: 10_000, recharge_code: code.code }),
    );
    expect(a).toMatchObject({ recharge_code_id: code.id, store_id: store });
    await c.topUp(plan, { ...base, amount: 20_000, recharge_code: code.code });
    await c.topUp(plan, { ...base, amount: 30_000, recharge_code: other.code });
    await c.topUp(plan, { ...base, amount: 40_000 });
    expectProblem(
      await c.topUp(plan, {
        ...base,
        amount: 10_000,
        recharge_code: code.code,
        channel: "online",
        payment_method: "online",
      }),
      422,
      "recharge_code_mismatch",
    );
    const list = await c.ok<{ data: CodeBody[] }>("GET", `/v1/topup-plans/${plan}/recharge-codes`);
    const byId = new Map(list.data.map((x) => [x.id, x.counts]));
    expect(byId.get(code.id)).toEqual({ started: 2, credited: 2, amount: 30_000, bonus_amount: 3_000 });
    expect(byId.get(other.id)).toEqual({ started: 1, credited: 1, amount: 30_000, bonus_amount: 3_000 });
    const attributed = await c.ok<{ data: TopupBody[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?recharge_code_id=${code.id}`,
    );
    expect(attributed.data).toHaveLength(2);
    // A code for another plan, or a disabled one, starts nothing.
    const plan2 = await c.plan({
      kind: "package",
      name: "Other",
      rule: { type: "fixed", amount: 100, bonus_amount: 0, bonus_points: 0 },
    });
    expectProblem(await c.topUp(plan2, { ...base, recharge_code: code.code }), 422, "recharge_code_mismatch");
    expect((await c.ok<CodeBody>("POST", `/v1/recharge-codes/${code.id}/disable`)).status).toBe("disabled");
    expectProblem(
      await c.topUp(plan, { ...base, amount: 10_000, recharge_code: code.code }),
      404,
      "recharge_code_not_found",
    );
  });
});
