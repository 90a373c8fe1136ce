import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestKey,
  createTestOrgUnit,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { createVoucherApp, memberAuth, type VoucherTree } from "../../../test/helpers/vouchers.js";
import { verifyLedger } from "../../ledger/index.js";
import { MAX_VOUCHERS_PER_BILL } from "./deduct-bill.js";
import { expireVouchers } from "./expire-vouchers.js";
import { runVoucherExpiry } from "./index.js";

let t: TestApp;
let tenant: TestTenant;
let tree: VoucherTree;

beforeAll(async () => {
  ({ t, tenant, tree } = await createVoucherApp());
});
afterAll(async () => t?.close());

type Headers = Record<string, string>;
const post = (url: string, headers: Headers, payload: unknown, key?: string) =>
  t.app.inject({
    method: "POST",
    url,
    headers: key ? { ...headers, "idempotency-key": key } : headers,
    payload: payload as object,
  });
const get = (url: string, headers: Headers) => t.app.inject({ url, headers });

async function adjust(resellerId: string, delta: number, headers: Headers = tree.keys.distributor) {
  return post("/v1/voucher-quotas/adjustments", headers, {
    reseller_id: resellerId,
    asset: "CNY",
    delta,
    reason: "plan",
  });
}
async function template(headers: Headers, body: Record<string, unknown> = {}) {
  const response = await post("/v1/voucher-templates", headers, {
    name: "T",
    face_value: { amount: 1000, asset: "CNY" },
    validity: { kind: "relative", valid_days: 30 },
    scope: { kind: "all" },
    ...body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ id: string }>(response).id;
}
async function issue(
  templateId: string,
  headers: Headers,
  recipients: { customer_id: string; amount?: number }[],
) {
  return post(`/v1/voucher-templates/${templateId}/issue`, headers, { recipients });
}
async function issueOne(templateId: string, headers: Headers, customerId: string, amount?: number) {
  const response = await issue(templateId, headers, [{ customer_id: customerId, amount }]);
  expect(response.statusCode, response.body).toBe(201);
  return json<{ data: { id: string }[] }>(response).data[0]!.id;
}
async function voucher(id: string, headers: Headers = tree.keys.owner) {
  return json<{ balance: number; status: string; face_value: { amount: number } }>(
    await get(`/v1/vouchers/${id}`, headers),
  );
}
async function available(resellerId: string) {
  const list = json<{ data: { reseller_id: string; available: number; allocated: number }[] }>(
    await get(`/v1/voucher-quotas?reseller_id=${resellerId}`, tree.keys.owner),
  );
  return list.data[0] ?? { available: 0, allocated: 0 };
}
const bill = (customerId: string, billId: string, lines: [string, number][]) =>
  post("/v1/voucher-bills", tree.keys.owner, {
    bill_id: billId,
    customer_id: customerId,
    asset: "CNY",
    lines: lines.map(([product_code, amount]) => ({ product_code, amount })),
  });

describe("quotas", () => {
  it("a distributor raises and lowers a reseller's quota, with history; never below outstanding", async () => {
    expect((await adjust(tree.reseller1.id, 10_000)).statusCode).toBe(200);
    expectProblem(await adjust(tree.reseller1.id, 5_000, tree.keys.reseller1), 403, "forbidden");
    expectProblem(await adjust(tree.customer1a.id, 5_000), 422, "not_a_reseller");
    const lowered = await adjust(tree.reseller1.id, -2_000);
    expect(json(lowered)).toMatchObject({
      allocated: 8_000,
      available: 8_000,
      reseller_id: tree.reseller1.id,
    });
    const tpl = await template(tree.keys.reseller1);
    await issueOne(tpl, tree.keys.reseller1, tree.customer1a.id, 7_000);
    expectProblem(await adjust(tree.reseller1.id, -1_001), 422, "quota_below_outstanding");
    expect(await available(tree.reseller1.id)).toMatchObject({ available: 1_000, allocated: 8_000 });
    const quotaId = json<{ data: { id: string }[] }>(await get("/v1/voucher-quotas", tree.keys.reseller1))
      .data[0]!.id;
    const history = json<{
      data: { delta: number; reason: string; actor_type: string; actor_id: string; actor_label: string }[];
    }>(await get(`/v1/voucher-quotas/${quotaId}/changes`, tree.keys.reseller1)).data;
    expect(history.map((h) => h.delta)).toEqual([10_000, -2_000]);
    expect(history[0]).toMatchObject({ reason: "plan", actor_type: "api_key" });
    const byName = await t.database.owner
      .selectFrom("api_keys")
      .select("name")
      .where("id", "=", history[0]!.actor_id)
      .executeTakeFirstOrThrow();
    expect(history[0]!.actor_label).toBe(byName.name);
    expect(json<{ data: unknown[] }>(await get("/v1/voucher-quotas", tree.keys.reseller2)).data).toEqual([]);
  });
});

describe("a reseller changing distributor", () => {
  const funded = async (distributorId: string) => {
    const row = await t.database.owner
      .selectFrom("ledger_accounts")
      .select(["debits_posted", "credits_posted"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("id", "=", `vfund_${distributorId}_CNY`)
      .executeTakeFirst();
    return row ? Number(row.debits_posted) - Number(row.credits_posted) : 0;
  };
  const move = (id: string, parentId: string) =>
    post(`/v1/org-units/${id}/move`, tree.keys.owner, { parent_id: parentId });

  /** Another distributor, a reseller of the tree's distributor about to move to it, and a customer. */
  async function movingReseller(name: string) {
    const other = await createTestOrgUnit(
      t,
      tenant.tenantId,
      tree.root,
      "distributor",
      `${name}: distributor`,
    );
    const mover = await createTestOrgUnit(
      t,
      tenant.tenantId,
      tree.distributor,
      "reseller",
      `${name}: reseller`,
    );
    return {
      other,
      otherKey: (await createTestKey(t, tenant.tenantId, "operator", other.id)).auth,
      mover,
      moverKey: (await createTestKey(t, tenant.tenantId, "operator", mover.id)).auth,
      buyer: await createTestOrgUnit(t, tenant.tenantId, mover, "customer", `${name}: customer`),
      givenBefore: await funded(tree.distributor.id),
    };
  }

  it("takes no quota its old distributor funded, and gives that distributor back what returns later", async () => {
    const { other, otherKey, mover, moverKey, buyer, givenBefore } = await movingReseller("Mover");

    expect((await adjust(mover.id, 1_000)).statusCode).toBe(200);
    const quotaId = json<{ data: { id: string }[] }>(await get("/v1/voucher-quotas", moverKey)).data[0]!.id;
    // Quota not yet issued, then issued and outstanding: both are the old distributor's value.
    const refused = await move(mover.id, other.id);
    expectProblem(refused, 409, "org_unit_in_use");
    expect(json<{ detail: string }>(refused).detail).toContain(quotaId);
    const tpl = await template(moverKey);
    const v = await issueOne(tpl, moverKey, buyer.id, 1_000);
    expectProblem(await move(mover.id, other.id), 409, "org_unit_in_use");

    // Spend 600, withdraw the rest and lower the quota to nothing: the reseller may go.
    expect((await bill(buyer.id, "mover-bill", [["cvm", 600]])).statusCode).toBe(200);
    expect((await post(`/v1/vouchers/${v}/withdraw`, moverKey, {})).statusCode).toBe(200);
    expect((await adjust(mover.id, -400)).statusCode).toBe(200);
    expect(json(await move(mover.id, other.id))).toMatchObject({ parent_id: other.id });
    expect(await funded(tree.distributor.id)).toBe(givenBefore + 600);

    // The bill is refunded: the withdrawn voucher's share goes back to the quota it came from,
    // value the old distributor funded. The new distributor's first change pays that back.
    expect(
      (await post("/v1/voucher-bills/mover-bill/refunds", tree.keys.owner, { refund_id: "mover-rf" }))
        .statusCode,
    ).toBe(200);
    expect(await available(mover.id)).toMatchObject({ available: 600 });
    expectProblem(await adjust(mover.id, 100, tree.keys.distributor), 404, "org_unit_not_found");
    const raised = await adjust(mover.id, 100, otherKey);
    expect(raised.statusCode, raised.body).toBe(200);
    expect(json(raised)).toMatchObject({ available: 100, distributor_id: other.id });
    expect(await funded(tree.distributor.id)).toBe(givenBefore);
    expect(await funded(other.id)).toBe(100);
    expectProblem(await adjust(mover.id, -101, otherKey), 422, "quota_below_outstanding");
    expect((await adjust(mover.id, -100, otherKey)).statusCode).toBe(200);
    expect(await funded(other.id)).toBe(0);
    expect(await funded(tree.distributor.id)).toBe(givenBefore);
    expect((await verifyLedger(t.deps.db, tenant.tenantId)).ok).toBe(true);
  });
  it("gives the old distributor what its vouchers give back after the new one took the quota over", async () => {
    const { other, otherKey, mover, moverKey, buyer, givenBefore } = await movingReseller("Later");
    const refund = (billId: string) =>
      post(`/v1/voucher-bills/${billId}/refunds`, tree.keys.owner, { refund_id: `${billId}-rf` });

    expect((await adjust(mover.id, 1_500)).statusCode).toBe(200);
    const tpl = await template(moverKey);
    // One voucher partly spent and withdrawn (dead), one spent to zero (still active).
    const dead = await issueOne(tpl, moverKey, buyer.id, 500);
    expect((await bill(buyer.id, "later-dead", [["cvm", 300]])).statusCode).toBe(200);
    expect((await post(`/v1/vouchers/${dead}/withdraw`, moverKey, {})).statusCode).toBe(200);
    const spent = await issueOne(tpl, moverKey, buyer.id, 1_000);
    expect((await bill(buyer.id, "later-spent", [["cvm", 1_000]])).statusCode).toBe(200);
    expect(await voucher(spent)).toMatchObject({ balance: 0 });
    expect((await adjust(mover.id, -200)).statusCode).toBe(200);
    expect(json(await move(mover.id, other.id))).toMatchObject({ parent_id: other.id });
    expect(await funded(tree.distributor.id)).toBe(givenBefore + 1_300);

    // The new distributor's first change takes the (empty) quota over.
    expect((await adjust(mover.id, 10, otherKey)).statusCode).toBe(200);
    // Both bills are refunded: the dead voucher's share and the spent voucher's rest, once
    // withdrawn, are value the old distributor funded and go back to it, not to the quota.
    expect((await refund("later-dead")).statusCode).toBe(200);
    expect((await refund("later-spent")).statusCode).toBe(200);
    expect(await voucher(spent)).toMatchObject({ balance: 1_000 });
    expect((await post(`/v1/vouchers/${spent}/withdraw`, otherKey, {})).statusCode).toBe(200);
    expect(await funded(tree.distributor.id)).toBe(givenBefore);
    expect(await available(mover.id)).toMatchObject({ available: 10 });
    expectProblem(await adjust(mover.id, -1_010, otherKey), 422, "quota_below_outstanding");
    expect((await adjust(mover.id, -10, otherKey)).statusCode).toBe(200);
    expect(await funded(other.id)).toBe(0);
    expect((await verifyLedger(t.deps.db, tenant.tenantId)).ok).toBe(true);
  });
});

describe("a customer changing reseller", () => {
  it("keeps a customer holding a live voucher under its issuer; once the voucher is spent it may go", async () => {
    const issuer = await createTestOrgUnit(t, tenant.tenantId, tree.distributor, "reseller", "Issuer");
    const issuerKey = (await createTestKey(t, tenant.tenantId, "operator", issuer.id)).auth;
    const rival = await createTestOrgUnit(t, tenant.tenantId, tree.distributor, "reseller", "Rival");
    const holder = await createTestOrgUnit(t, tenant.tenantId, issuer, "customer", "Holder");
    expect((await adjust(issuer.id, 500)).statusCode).toBe(200);
    const v = await issueOne(await template(issuerKey), issuerKey, holder.id, 500);
    const move = (id: string, parentId: string) =>
      post(`/v1/org-units/${id}/move`, tree.keys.owner, { parent_id: parentId });

    // Under the rival, its staff would spend the issuer's discount on their own bills, and the
    // issuer could no longer find the voucher to withdraw it.
    const refused = await move(holder.id, rival.id);
    expectProblem(refused, 409, "org_unit_in_use");
    expect(json<{ detail: string }>(refused).detail).toContain(v);
    expect(json(await get(`/v1/vouchers/${v}`, issuerKey))).toMatchObject({ balance: 500 });

    expect((await bill(holder.id, "holder-bill", [["cvm", 500]])).statusCode).toBe(200);
    expect(json(await move(holder.id, rival.id))).toMatchObject({ parent_id: rival.id });
    expect((await verifyLedger(t.deps.db, tenant.tenantId)).ok).toBe(true);
  });
  it("gives a refund's share to the quota once the customer has left the issuer's subtree", async () => {
    const issuer = await createTestOrgUnit(t, tenant.tenantId, tree.distributor, "reseller", "Left issuer");
    const issuerKey = (await createTestKey(t, tenant.tenantId, "operator", issuer.id)).auth;
    const rival = await createTestOrgUnit(t, tenant.tenantId, tree.distributor, "reseller", "New home");
    const holder = await createTestOrgUnit(t, tenant.tenantId, issuer, "customer", "Leaver");
    expect((await adjust(issuer.id, 500)).statusCode).toBe(200);
    const v = await issueOne(await template(issuerKey), issuerKey, holder.id, 500);
    expect((await bill(holder.id, "leaver-bill", [["cvm", 500]])).statusCode).toBe(200);
    const move = await post(`/v1/org-units/${holder.id}/move`, tree.keys.owner, { parent_id: rival.id });
    expect(move.statusCode, move.body).toBe(200);

    // Refilled, the voucher would be live under the rival, whose staff could spend it, while
    // the issuer could no longer reach it: its share goes back to the issuer's quota.
    const refund = await post("/v1/voucher-bills/leaver-bill/refunds", tree.keys.owner, {
      refund_id: "leaver-rf",
    });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(json(refund)).toMatchObject({ returns: [{ voucher_id: v, amount: 500, returned_to: "source" }] });
    expect(await voucher(v)).toMatchObject({ balance: 0 });
    expect(await available(issuer.id)).toMatchObject({ available: 500 });
    expect((await verifyLedger(t.deps.db, tenant.tenantId)).ok).toBe(true);
  });
});

describe("quota list", () => {
  it("pages through every reseller's quota", async () => {
    const resellers = [];
    for (let i = 0; i < 3; i++) {
      const r = await createTestOrgUnit(t, tenant.tenantId, tree.distributor, "reseller", `Paged ${i}`);
      expect((await adjust(r.id, 100 + i)).statusCode).toBe(200);
      resellers.push(r.id);
    }
    const seen: string[] = [];
    let after = "";
    for (let pages = 0; pages < 50; pages++) {
      const response = await get(
        `/v1/voucher-quotas?limit=2${after ? `&starting_after=${after}` : ""}`,
        tree.keys.distributor,
      );
      expect(response.statusCode, response.body).toBe(200);
      const page = json<{ data: { id: string; reseller_id: string }[]; has_more: boolean }>(response);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((q) => q.reseller_id));
      if (!page.has_more) break;
      after = page.data.at(-1)!.id;
    }
    expect(seen).toEqual(expect.arrayContaining(resellers));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe("issuance", () => {
  it("issues to the reseller's own customers, locks the template and refuses past the quota", async () => {
    await adjust(tree.reseller1.id, 5_000);
    const before = await available(tree.reseller1.id);
    const tpl = await template(tree.keys.reseller1, { face_value: { amount: 500, asset: "CNY" } });
    const response = await issue(tpl, tree.keys.reseller1, [
      { customer_id: tree.customer1a.id },
      { customer_id: tree.customer1b.id, amount: 800 },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const issued = json<{ data: { face_value: { amount: number }; balance: number; status: string }[] }>(
      response,
    ).data;
    expect(issued.map((v) => [v.face_value.amount, v.balance, v.status])).toEqual([
      [500, 500, "unused"],
      [800, 800, "unused"],
    ]);
    expect((await available(tree.reseller1.id)).available).toBe(before.available - 1_300);
    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/voucher-templates/${tpl}`,
        headers: tree.keys.reseller1,
        payload: { name: "x" },
      }),
      409,
      "template_in_use",
    );
    expectProblem(
      await issue(tpl, tree.keys.reseller1, [{ customer_id: tree.customer2.id }]),
      404,
      "customer_not_found",
    );
    const left = (await available(tree.reseller1.id)).available;
    expectProblem(
      await issue(tpl, tree.keys.reseller1, [
        { customer_id: tree.customer1a.id, amount: 1 },
        { customer_id: tree.customer1b.id, amount: left },
      ]),
      422,
      "quota_exceeded",
    );
    expect((await available(tree.reseller1.id)).available).toBe(left);
    expectProblem(
      await issue(
        tpl,
        tree.keys.reseller1,
        Array.from({ length: 101 }, () => ({ customer_id: tree.customer1a.id })),
      ),
      400,
      "validation_failed",
    );
  });

  it("100 concurrent issuances never exceed the quota", async () => {
    await adjust(tree.reseller2.id, 5_000);
    const tpl = await template(tree.keys.reseller2, { face_value: { amount: 100, asset: "CNY" } });
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        issue(tpl, tree.keys.reseller2, [{ customer_id: tree.customer2.id }]),
      ),
    );
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(50);
    expect(codes.filter((c) => c === 422)).toHaveLength(50);
    expect(
      responses.filter((r) => r.statusCode === 422).every((r) => json(r).code === "quota_exceeded"),
    ).toBe(true);
    expect((await available(tree.reseller2.id)).available).toBe(0);
    const count = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("vouchers")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("template_id", "=", tpl)
        .executeTakeFirstOrThrow(),
    );
    expect(Number(count.n)).toBe(50);
    const verified = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(verified).toMatchObject({ ok: true });
  });
});

describe("bill deduction and refunds", () => {
  it("deducts by scope and minimum, earliest expiry first, partly, idempotent by bill id", async () => {
    await adjust(tree.reseller1.id, 20_000);
    const c = tree.customer1b.id;
    await bill(c, "drain-1b", [["drain", 1_000_000]]);
    const short = await template(tree.keys.reseller1, {
      validity: { kind: "relative", valid_days: 5 },
      scope: { kind: "allow", product_codes: ["cvm"] },
    });
    const long = await template(tree.keys.reseller1, {
      validity: { kind: "relative", valid_days: 60 },
      scope: { kind: "deny", product_codes: ["domain"] },
    });
    const minimum = await template(tree.keys.reseller1, { min_bill_amount: 100_000 });
    const vShort = await issueOne(short, tree.keys.reseller1, c, 300);
    const vLong = await issueOne(long, tree.keys.reseller1, c, 2_000);
    const vMin = await issueOne(minimum, tree.keys.reseller1, c, 5_000);
    const r = await bill(c, "bill-1", [
      ["cvm", 1_000],
      ["domain", 700],
      ["cos", 500],
    ]);
    expect(r.statusCode, r.body).toBe(200);
    const result = json<{
      deducted_amount: number;
      payable_amount: number;
      lines: { deducted: number; deductions: { voucher_id: string; amount: number }[] }[];
    }>(r);
    const byVoucher = (id: string) =>
      result.lines.flatMap((l, i) =>
        l.deductions.filter((d) => d.voucher_id === id).map((d) => [i, d.amount]),
      );
    expect(byVoucher(vShort)).toEqual([[0, 300]]);
    expect(byVoucher(vMin)).toEqual([]);
    expect(result.lines[1]!.deductions).toEqual([]); // domain: denied by vLong, not in vShort's allow list
    expect((await voucher(vShort)).status).toBe("used_up");
    const long1 = await voucher(vLong);
    expect(long1.status).toBe("partly_used");
    expect(result.payable_amount).toBe(2_200 - result.deducted_amount);
    // Same bill again: same answer, nothing moves; different content: refused.
    const again = await bill(c, "bill-1", [
      ["cvm", 1_000],
      ["domain", 700],
      ["cos", 500],
    ]);
    expect(json(again)).toEqual(json(r));
    expect((await voucher(vLong)).balance).toBe(long1.balance);
    expectProblem(await bill(c, "bill-1", [["cvm", 999]]), 409, "bill_id_reused");
    // The minimum is reached by a large bill.
    const big = json<{ lines: { deductions: { voucher_id: string }[] }[] }>(
      await bill(c, "bill-2", [["cos", 100_000]]),
    );
    expect(big.lines[0]!.deductions.map((d) => d.voucher_id)).toContain(vMin);
  });

  it("refunds return the vouchers' share; expired or withdrawn vouchers' share goes to the source", async () => {
    await adjust(tree.reseller1.id, 10_000);
    const c = tree.customer1a.id;
    // Spend whatever this customer already holds, so this test's vouchers are the only ones.
    await bill(c, "drain-1a", [["drain", 1_000_000]]);
    const tpl = await template(tree.keys.reseller1, { validity: { kind: "relative", valid_days: 3 } });
    const v = await issueOne(tpl, tree.keys.reseller1, c, 600);
    const r = json<{ deducted_amount: number }>(await bill(c, "bill-r", [["cvm", 1_000]]));
    expect(r.deducted_amount).toBe(600);
    // Refund half of the line: the voucher gets back 600 × 500 / 1000 = 300.
    const half = await post("/v1/voucher-bills/bill-r/refunds", tree.keys.owner, {
      refund_id: "r1",
      lines: [{ line_index: 0, amount: 500 }],
    });
    expect(half.statusCode, half.body).toBe(200);
    expect(json(half)).toMatchObject({
      returned_amount: 300,
      returns: [{ voucher_id: v, amount: 300, returned_to: "voucher" }],
    });
    expect((await voucher(v)).balance).toBe(300);
    const replay = await post("/v1/voucher-bills/bill-r/refunds", tree.keys.owner, {
      refund_id: "r1",
      lines: [{ line_index: 0, amount: 500 }],
    });
    expect(json(replay)).toMatchObject({ returned_amount: 300 });
    expect((await voucher(v)).balance).toBe(300);
    expectProblem(
      await post("/v1/voucher-bills/bill-r/refunds", tree.keys.owner, {
        refund_id: "r2",
        lines: [{ line_index: 0, amount: 501 }],
      }),
      422,
      "refund_exceeds_bill",
    );
    // The voucher expires; the rest of the refund goes to the reseller's quota.
    const quotaBefore = (await available(tree.reseller1.id)).available;
    t.clock.advanceDays(4);
    expect((await voucher(v)).status).toBe("expired");
    const rest = await post("/v1/voucher-bills/bill-r/refunds", tree.keys.owner, { refund_id: "r3" });
    expect(json(rest)).toMatchObject({
      returned_amount: 300,
      returns: [{ amount: 300, returned_to: "source" }],
    });
    expect((await voucher(v)).balance).toBe(300);
    expect((await available(tree.reseller1.id)).available).toBe(quotaBefore + 300);
    // The expiry job moves the voucher's own remaining 300 to the quota too.
    const expired = await t.deps.ledger.run(tenant.tenantId, (uow) => expireVouchers(uow, t.clock.now()));
    expect(expired).toContainEqual({ voucherId: v, returned: 300 });
    expect(await voucher(v)).toMatchObject({ status: "expired", balance: 0 });
    expect((await available(tree.reseller1.id)).available).toBe(quotaBefore + 600);
  });
});

describe("concurrent bills", () => {
  it("30 concurrent bills of one customer never spend a voucher twice", async () => {
    await adjust(tree.reseller2.id, 1_000);
    const c = tree.customer2.id;
    await bill(c, "drain-2", [["drain", 10_000_000]]);
    const tpl = await template(tree.keys.reseller2);
    const v = await issueOne(tpl, tree.keys.reseller2, c, 1_000);
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => bill(c, `race-${i}`, [["cvm", 100]])),
    );
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const deducted = responses.map((r) => json<{ deducted_amount: number }>(r).deducted_amount);
    expect(deducted.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(deducted.filter((d) => d === 100)).toHaveLength(10);
    expect(await voucher(v)).toMatchObject({ balance: 0, status: "used_up" });
  });
});

describe("many used-up vouchers", () => {
  it("vouchers spent to zero do not crowd a customer's usable ones out of a bill", async () => {
    const customer = await createTestOrgUnit(t, tenant.tenantId, tree.distributor, "customer", "Heavy user");
    const trial = await template(tree.keys.distributor, {
      owner_id: tree.distributor.id,
      purpose: "product_trial",
    });
    // As many one-cent vouchers as a bill considers, all spent by one bill.
    for (let i = 0; i < MAX_VOUCHERS_PER_BILL; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, () => issueOne(trial, tree.keys.distributor, customer.id, 1)),
      );
    }
    const spent = await bill(customer.id, "heavy-1", [["cvm", MAX_VOUCHERS_PER_BILL]]);
    expect(json<{ deducted_amount: number }>(spent).deducted_amount).toBe(MAX_VOUCHERS_PER_BILL);
    const fresh = await issueOne(trial, tree.keys.distributor, customer.id, 1_000);
    const next = await bill(customer.id, "heavy-2", [["cvm", 300]]);
    expect(next.statusCode, next.body).toBe(200);
    expect(json<{ deducted_amount: number }>(next).deducted_amount).toBe(300);
    expect(await voucher(fresh)).toMatchObject({ balance: 700, status: "partly_used" });
  }, 120_000);
});

describe("withdrawal", () => {
  it("is irreversible, returns the balance to the quota, and only the right unit may do it", async () => {
    await adjust(tree.reseller1.id, 5_000);
    const c = tree.customer1a.id;
    await bill(c, "drain-1a-w", [["drain", 1_000_000]]);
    const tpl = await template(tree.keys.reseller1);
    const v = await issueOne(tpl, tree.keys.reseller1, c, 1_000);
    await bill(c, "bill-w", [["cvm", 400]]);
    const quotaBefore = (await available(tree.reseller1.id)).available;
    expectProblem(
      await post(`/v1/vouchers/${v}/withdraw`, tree.keys.reseller2, {}),
      404,
      "voucher_not_found",
    );
    const customer = await memberAuth(t, tenant, c);
    expectProblem(await post(`/v1/vouchers/${v}/withdraw`, customer, {}), 403, "forbidden");
    const withdrawn = await post(`/v1/vouchers/${v}/withdraw`, tree.keys.reseller1, { reason: "mistake" });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(json(withdrawn)).toMatchObject({ status: "withdrawn", balance: 0 });
    expect((await available(tree.reseller1.id)).available).toBe(quotaBefore + 600);
    expectProblem(
      await post(`/v1/vouchers/${v}/withdraw`, tree.keys.reseller1, {}),
      409,
      "voucher_not_withdrawable",
    );
    const after = json<{ deducted_amount: number }>(await bill(c, "bill-w2", [["cvm", 400]]));
    expect(after.deducted_amount).toBe(0);
    // Amounts already deducted stay.
    const usages = json<{ data: { kind: string; amount: number }[] }>(
      await get(`/v1/vouchers/${v}/usages`, tree.keys.reseller1),
    ).data;
    expect(usages).toEqual([expect.objectContaining({ kind: "deduction", amount: 400 })]);
  });

  it("a product_trial voucher is withdrawn only by the distributor", async () => {
    const trial = await template(tree.keys.distributor, {
      owner_id: tree.distributor.id,
      purpose: "product_trial",
    });
    const v = await issueOne(trial, tree.keys.distributor, tree.customer1b.id, 2_000);
    expectProblem(
      await post(`/v1/vouchers/${v}/withdraw`, tree.keys.reseller1, {}),
      403,
      "voucher_withdraw_forbidden",
    );
    const ok = await post(`/v1/vouchers/${v}/withdraw`, tree.keys.distributor, {});
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json(ok)).toMatchObject({ status: "withdrawn", purpose: "product_trial" });
  });

  it("an expired voucher cannot be withdrawn", async () => {
    await adjust(tree.reseller1.id, 1_000);
    const tpl = await template(tree.keys.reseller1, { validity: { kind: "relative", valid_days: 1 } });
    const v = await issueOne(tpl, tree.keys.reseller1, tree.customer1a.id, 100);
    t.clock.advanceDays(2);
    expectProblem(
      await post(`/v1/vouchers/${v}/withdraw`, tree.keys.reseller1, {}),
      409,
      "voucher_not_withdrawable",
    );
  });
});

describe("access and usage export", () => {
  it("each level sees only its own; the customer sees only its vouchers; usage details download", async () => {
    const ids = async (headers: Headers, q = "") =>
      json<{ data: { id: string; customer_id: string }[] }>(await get(`/v1/vouchers?limit=100${q}`, headers))
        .data;
    const r1 = await ids(tree.keys.reseller1);
    const r2 = await ids(tree.keys.reseller2);
    expect(r1.length).toBeGreaterThan(0);
    expect(r1.every((v) => [tree.customer1a.id, tree.customer1b.id].includes(v.customer_id))).toBe(true);
    expect(r2.every((v) => v.customer_id === tree.customer2.id)).toBe(true);
    const all = await ids(tree.keys.distributor);
    expect(all.length).toBeGreaterThanOrEqual(Math.min(100, r1.length + r2.length));
    const customer = await memberAuth(t, tenant, tree.customer1b.id);
    const mine = await ids(customer);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((v) => v.customer_id === tree.customer1b.id)).toBe(true);
    expectProblem(await get(`/v1/vouchers/${r2[0]!.id}`, customer), 404, "voucher_not_found");
    expectProblem(await get(`/v1/vouchers/${r2[0]!.id}`, tree.keys.reseller1), 404, "voucher_not_found");
    const used = await ids(customer, "&status=used_up");
    expect(used.length).toBeGreaterThan(0);
    const csv = await get(`/v1/vouchers/${used[0]!.id}/usages/export?format=csv`, customer);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const lines = csv.body.trim().split("\n");
    expect(lines[0]).toBe("time,kind,bill_id,line,product_code,amount,asset,returned_to");
    expect(lines.slice(1).every((l) => /,deduction,|,refund,/.test(l))).toBe(true);
    const xlsx = await get(
      `/v1/vouchers/export?format=xlsx&customer_id=${tree.customer1b.id}`,
      tree.keys.reseller1,
    );
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe("PK");
  });

  it("a scoped key mints and revokes member tokens only for customers in its own subtree", async () => {
    const mint = (headers: Headers, memberId: string) =>
      post("/v1/member-tokens", headers, { member_id: memberId });
    const revoke = (headers: Headers, memberId: string, key: string) =>
      post("/v1/member-tokens/revoke", headers, { member_id: memberId }, key);
    // Reseller 2's customer, out of reseller 1's subtree, answers as a missing member would.
    expectProblem(await mint(tree.keys.reseller1, tree.customer2.id), 404, "member_not_found");
    expectProblem(
      await revoke(tree.keys.reseller1, tree.customer2.id, "revoke-out-of-scope"),
      404,
      "member_not_found",
    );
    // Units that hold no vouchers of their own (the tenant's root, a reseller) are no token holders.
    expectProblem(await mint(tenant.auth, tenant.rootOrgUnitId), 404, "member_not_found");
    expectProblem(await mint(tree.keys.distributor, tree.reseller1.id), 404, "member_not_found");
    expectProblem(await mint(tenant.auth, "org_doesnotexist"), 404, "member_not_found");
    // In scope, both work.
    expect((await mint(tree.keys.reseller1, tree.customer1a.id)).statusCode).toBe(201);
    expect((await mint(tree.keys.distributor, tree.customer2.id)).statusCode).toBe(201);
    expect((await revoke(tree.keys.reseller2, tree.customer2.id, "revoke-in-scope")).statusCode).toBe(200);
  });
});

describe("expiry", () => {
  it("the expiry run expires vouchers at the tenant's midnight and returns their balance", async () => {
    await adjust(tree.reseller2.id, 700);
    const tpl = await template(tree.keys.reseller2, { validity: { kind: "relative", valid_days: 1 } });
    const response = await issue(tpl, tree.keys.reseller2, [{ customer_id: tree.customer2.id, amount: 700 }]);
    const issued = json<{ data: { id: string; expires_at: string }[] }>(response).data[0]!;
    // Shanghai midnight is 16:00 UTC.
    expect(issued.expires_at).toMatch(/T16:00:00.000Z$/);
    const quota = (await available(tree.reseller2.id)).available;
    t.clock.set(new Date(new Date(issued.expires_at).getTime() - 1));
    await runVoucherExpiry(t.deps);
    expect((await voucher(issued.id)).status).toBe("unused");
    t.clock.set(issued.expires_at);
    expect(await runVoucherExpiry(t.deps)).toBeGreaterThanOrEqual(1);
    expect(await voucher(issued.id)).toMatchObject({ status: "expired", balance: 0 });
    expect((await available(tree.reseller2.id)).available).toBe(quota + 700);
    expect(await runVoucherExpiry(t.deps)).toBe(0);
  });
});

describe("events", () => {
  it("emits issued, deducted, refunded, withdrawn and expired in the change's unit of work", async () => {
    const events = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("events").select(["type", "data"]).where("type", "like", "voucher.%").execute(),
    );
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual([
      "voucher.deducted",
      "voucher.expired",
      "voucher.issued",
      "voucher.refunded",
      "voucher.withdrawn",
    ]);
    // A refused issuance (quota_exceeded) emitted nothing: one issued event per voucher row.
    const vouchers = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("vouchers").select("id").execute(),
    );
    expect(events.filter((e) => e.type === "voucher.issued")).toHaveLength(vouchers.length);
  });
});

describe("list filters", () => {
  it("a face amount past the amount bound is a validation failure, in the list and the export alike", async () => {
    for (const url of [
      "/v1/vouchers?face_amount=100000000000000000000",
      "/v1/vouchers/export?format=csv&face_amount=100000000000000000000",
    ]) {
      const problem = expectProblem(await get(url, tree.keys.owner), 400, "validation_failed");
      expect(problem.detail).toContain("face_amount");
    }
  });
});
