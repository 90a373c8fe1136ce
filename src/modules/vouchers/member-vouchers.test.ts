import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { createAsset, verifyLedger } from "../../ledger/index.js";
import { type Actor, systemActor } from "../../platform/auth/actor.js";
import { DomainError } from "../../shared/errors.js";
import {
  issueMemberVoucher,
  type MemberVoucherInput,
  memberVouchersById,
  type RedeemInput,
  redeemVoucher,
  returnVoucher,
  runVoucherExpiry,
  voucherAccountIds,
} from "./index.js";

/** Members' vouchers spent and given back by id (what the checkout uses), on the real ledger. */
let t: TestApp;
let tenant: TestTenant;
let ann = "";
let bob = "";
let ctx: { actor: Actor; requestId: null };

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  ctx = { actor: systemActor(tenant.tenantId, "test.vouchers"), requestId: null };
  await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    createAsset(trx, tenant.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, t.clock.now()),
  );
  const member = async (name: string) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  };
  ann = await member("Ann");
  bob = await member("Bob");
});
afterAll(async () => t?.close());

const DAY = 86_400_000;

async function give(input: Partial<MemberVoucherInput> = {}) {
  const now = t.clock.now();
  const row = await t.deps.ledger.run(tenant.tenantId, (uow) =>
    issueMemberVoucher(
      uow,
      ctx,
      {
        memberId: ann,
        issuerId: null,
        amount: 1000,
        asset: "CNY",
        scope: { kind: "all", productCodes: [] },
        minBillAmount: 0,
        startsAt: now,
        expiresAt: new Date(now.getTime() + 30 * DAY),
        ...input,
      },
      now,
    ),
  );
  return row.id;
}

const lines = [
  { productCode: "latte", amount: 3000 },
  { productCode: "cake", amount: 2000 },
];

function redeem(voucherId: string, input: Partial<RedeemInput> = {}) {
  return t.deps.ledger.run(tenant.tenantId, (uow) =>
    redeemVoucher(
      uow,
      ctx,
      {
        voucherId,
        memberId: ann,
        asset: "CNY",
        amount: 100,
        lines,
        reference: { module: "test", id: `ord-${Math.random()}` },
        ...input,
      },
      t.clock.now(),
    ),
  );
}

function giveBack(redemptionId: string, refundId: string, amount: number) {
  return t.deps.ledger.run(tenant.tenantId, (uow) =>
    returnVoucher(uow, ctx, { redemptionId, refundId, amount }, t.clock.now()),
  );
}

async function balance(accountId: string) {
  return t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    const b = await t.deps.ledger.within(trx, tenant.tenantId).balances(accountId);
    return b ? b.credits_posted - b.debits_posted : 0;
  });
}
const voucherBalance = (id: string) => balance(voucherAccountIds.voucher(id));

async function refusal(p: Promise<unknown>): Promise<{ code: string; reason?: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return { code: e.code, reason: e.extra?.reason };
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("member vouchers", () => {
  it("a member's voucher is spent by id up to its balance; a reference replays; nothing beyond", async () => {
    const id = await give({ amount: 1000 });
    const first = await redeem(id, { amount: 600, reference: { module: "test", id: "ord-1" } });
    expect(first.replayed).toBe(false);
    expect(await voucherBalance(id)).toBe(400);
    const again = await redeem(id, { amount: 600, reference: { module: "test", id: "ord-1" } });
    expect(again).toMatchObject({ id: first.id, replayed: true });
    expect(await voucherBalance(id)).toBe(400);
    expect(
      await refusal(redeem(id, { amount: 500, reference: { module: "test", id: "ord-1" } })),
    ).toMatchObject({
      code: "redemption_reused",
    });
    expect(await refusal(redeem(id, { amount: 401 }))).toMatchObject({
      code: "voucher_balance_insufficient",
    });
    expect(await refusal(redeem(id, { amount: 0 }))).toMatchObject({ code: "invalid_amount" });
    await redeem(id, { amount: 400 });
    expect(await voucherBalance(id)).toBe(0);
  });

  it("a reference again replays only the same redemption: another asset or other lines are refused", async () => {
    const id = await give({ amount: 1000, scope: { kind: "allow", productCodes: ["latte"] } });
    const ref = { module: "test", id: "ord-whole" };
    const first = await redeem(id, { amount: 600, reference: ref });
    expect(await redeem(id, { amount: 600, reference: ref })).toMatchObject({ id: first.id, replayed: true });
    // Each of these, redeemed first, would have been refused or paid another bill: not the first request.
    for (const other of [
      { asset: "USD" },
      { lines: [{ productCode: "cake", amount: 5000 }] },
      { lines: [{ productCode: "latte", amount: 600 }] },
    ]) {
      expect(await refusal(redeem(id, { amount: 600, reference: ref, ...other }))).toMatchObject({
        code: "redemption_reused",
      });
    }
    expect(await voucherBalance(id)).toBe(400);
  });

  it("30 concurrent redemptions of one voucher never spend it twice or beyond its balance", async () => {
    const id = await give({ amount: 1000 });
    const before = await balance(voucherAccountIds.settlement("CNY"));
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => redeem(id, { amount: 70 })));
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(14); // 14 × 70 = 980; the 15th would need 1050
    for (const r of results) {
      if (r.status === "rejected")
        expect((r.reason as DomainError).code).toBe("voucher_balance_insufficient");
    }
    expect(await voucherBalance(id)).toBe(20);
    expect((await balance(voucherAccountIds.settlement("CNY"))) - before).toBe(980);
  });

  it("refuses another member, the wrong asset, outside its validity, withdrawn, out of scope, below minimum", async () => {
    const id = await give({ minBillAmount: 2500, scope: { kind: "deny", productCodes: ["cake"] } });
    expect(await refusal(redeem(id, { memberId: bob }))).toMatchObject({ code: "voucher_not_found" });
    expect(await refusal(redeem(id, { asset: "USD" }))).toMatchObject({ reason: "currency" });
    expect(await refusal(redeem(id, { lines: [{ productCode: "cake", amount: 5000 }] }))).toMatchObject({
      code: "voucher_not_usable",
      reason: "no_eligible_item",
    });
    // Only the latte (3000) is in scope: the minimum counts it alone, and the voucher covers at most it.
    const small = [
      { productCode: "latte", amount: 2400 },
      { productCode: "cake", amount: 2000 },
    ];
    expect(await refusal(redeem(id, { lines: small }))).toMatchObject({ reason: "below_min_amount" });
    expect((await redeem(id, { amount: 1000 })).amount).toBe(1000);
    const plain = await give();
    expect(
      await refusal(redeem(plain, { amount: 600, lines: [{ productCode: "latte", amount: 500 }] })),
    ).toMatchObject({ code: "voucher_not_usable", reason: "exceeds_eligible_amount" });

    const later = await give({ startsAt: new Date(t.clock.now().getTime() + DAY) });
    expect(await refusal(redeem(later))).toMatchObject({ reason: "not_started" });

    const withdrawn = await give();
    await t.database.owner
      .updateTable("vouchers")
      .set({ state: "withdrawn" })
      .where("id", "=", withdrawn)
      .execute();
    expect(await refusal(redeem(withdrawn))).toMatchObject({ reason: "withdrawn" });
    expect(await voucherBalance(withdrawn)).toBe(1000);
  });

  it("returns give back at most what was redeemed, once per refund id, to the voucher while usable", async () => {
    const id = await give({ amount: 1000 });
    const r = await redeem(id, { amount: 800 });
    expect(await voucherBalance(id)).toBe(200);
    const back = await giveBack(r.id, "rf-1", 300);
    expect(back).toMatchObject({ returnedTo: "voucher", replayed: false });
    expect(await giveBack(r.id, "rf-1", 300)).toMatchObject({ id: back.id, replayed: true });
    expect(await voucherBalance(id)).toBe(500);
    expect(await refusal(giveBack(r.id, "rf-1", 200))).toMatchObject({ code: "refund_id_reused" });
    expect(await refusal(giveBack(r.id, "rf-2", 501))).toMatchObject({ code: "return_exceeds_redemption" });
    await giveBack(r.id, "rf-2", 500);
    expect(await voucherBalance(id)).toBe(1000);
    expect(await refusal(giveBack("vrd_missing", "rf-3", 1))).toMatchObject({
      code: "voucher_redemption_not_found",
    });
  });

  it("one refund id gives back two redemptions of one voucher, each once", async () => {
    // A refund that covers two orders the voucher paid part of: one return per redemption.
    const id = await give({ amount: 1000 });
    const first = await redeem(id, { amount: 300, reference: { module: "test", id: "ord-two-1" } });
    const second = await redeem(id, { amount: 200, reference: { module: "test", id: "ord-two-2" } });
    expect(await voucherBalance(id)).toBe(500);
    const a = await giveBack(first.id, "rf-both", 300);
    const b = await giveBack(second.id, "rf-both", 200);
    expect([a.replayed, b.replayed]).toEqual([false, false]);
    expect(a.id).not.toBe(b.id);
    expect(await voucherBalance(id)).toBe(1000);
    // Each replays on its own, and neither can be stretched to another amount.
    expect(await giveBack(second.id, "rf-both", 200)).toMatchObject({ id: b.id, replayed: true });
    expect(await giveBack(first.id, "rf-both", 300)).toMatchObject({ id: a.id, replayed: true });
    expect(await refusal(giveBack(second.id, "rf-both", 100))).toMatchObject({ code: "refund_id_reused" });
    expect(await voucherBalance(id)).toBe(1000);
  });

  it("a voucher that expired after its redemption gets nothing back: the value returns to its source", async () => {
    const start = t.clock.now();
    const id = await give({ amount: 1000, expiresAt: new Date(start.getTime() + DAY) });
    const funding = voucherAccountIds.funding("tenant", "CNY");
    const r = await redeem(id, { amount: 400 });
    const fundingBefore = await balance(funding);
    t.clock.set(new Date(start.getTime() + 2 * DAY).toISOString());
    expect(await refusal(redeem(id))).toMatchObject({ reason: "expired" });
    await runVoucherExpiry(t.deps); // the remaining 600 goes back to the funding account
    expect(await refusal(redeem(id))).toMatchObject({ reason: "expired" });
    expect(await giveBack(r.id, "rf-late", 400)).toMatchObject({ returnedTo: "source" });
    expect(await voucherBalance(id)).toBe(0);
    expect((await balance(funding)) - fundingBefore).toBe(1000);
    t.clock.set(start.toISOString());
  });

  it("reads a member's vouchers by id with balances; a member token sees only its own", async () => {
    const mine = await give({ amount: 500 });
    const theirs = await give({ amount: 700, memberId: bob });
    const read = (actor: Actor) =>
      t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        memberVouchersById(trx, actor, [theirs, mine, "vch_unknown"], {
          lock: true,
          ledger: t.deps.ledger.within(trx, tenant.tenantId),
        }),
      );
    const all = await read(ctx.actor);
    expect(all.map((v) => [v.id, v.memberId, v.balance])).toEqual(
      [
        [mine, ann, 500],
        [theirs, bob, 700],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const asAnn = await read({ ...ctx.actor, type: "member", memberId: ann });
    expect(asAnn.map((v) => v.id)).toEqual([mine]);
  });

  it("the ledger verifies clean after all of it", async () => {
    const verified = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
  });
});
