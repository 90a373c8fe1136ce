import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  bankRecord,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  type Merchant,
  ok,
  openConfigured,
} from "../../../test/helpers/deposits.js";
import { raceForLastPlace } from "../../../test/helpers/last-place.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { systemActor } from "../../platform/auth/actor.js";
import { setBankBinding } from "./bank-binding.js";

/**
 * Wires are matched to a merchant by payer name and amount: a company name bound by one
 * merchant must not be bound by another of the tenant, or a rival's wire could be credited to
 * whoever applied first for the same amount.
 */
let t: TestApp;
let w: DepositWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
});
afterAll(async () => t?.close());

const bind = (m: Merchant, company_name: string, status?: "effective" | "ineffective") =>
  call(w, m.auth, "PUT", `/v1/merchants/${m.id}/deposit-bank-binding`, {
    company_name,
    bank_name: "ICBC",
    branch: "Chaoyang",
    account_number: "6222 0000 2222",
    ...(status ? { status } : {}),
  });

async function bindingOf(merchantId: string) {
  return t.database.owner
    .selectFrom("deposit_bank_bindings")
    .select(["company_name", "status"])
    .where("tenant_id", "=", w.tenant.tenantId)
    .where("merchant_id", "=", merchantId)
    .executeTakeFirst();
}

describe("a bound company name belongs to one merchant", () => {
  it("refuses another merchant's effective binding of it, however written, and its wire reaches its owner", async () => {
    const owner = await createMerchant(w, "Rival Trading (Shanghai) Co");
    const ownerAccount = await openConfigured(w, owner);
    const thief = await createMerchant(w);
    const thiefAccount = await openConfigured(w, thief);
    // The thief applies first: the oldest application of the amount would take the wire.
    ok(
      await call(w, thief.auth, "POST", `/v1/deposit-accounts/${thiefAccount}/topups`, { amount: 500_000 }),
      201,
    );
    const ownerTopup = ok<{ id: string; reference: string }>(
      await call(w, owner.auth, "POST", `/v1/deposit-accounts/${ownerAccount}/topups`, { amount: 500_000 }),
      201,
    );
    const { audit } = tenantTrail(t, w.tenant.tenantId);
    const auditBefore = await audit(thief.id);
    for (const name of [
      "Rival Trading (Shanghai) Co",
      "  rival  trading (shanghai) co ",
      "RIVAL TRADING（SHANGHAI）CO",
      "Rival\u3000Trading (Shanghai) Co",
    ]) {
      const r = await bind(thief, name);
      expectCode(r, 409, "bank_binding_name_taken");
    }
    expect(await bindingOf(thief.id)).toMatchObject({ company_name: thief.company, status: "effective" });
    expect(await audit(thief.id)).toEqual(auditBefore);
    // An ineffective binding matches nothing, so it may name anyone.
    ok(await bind(thief, owner.company, "ineffective"));

    const wire = await bankRecord(w, { payer_name: owner.company, amount: 500_000 });
    expect(wire).toMatchObject({ status: "matched", topup_id: ownerTopup.id });
    expect((await accountOf(w, owner.auth, ownerAccount)).available).toBe(500_000);
    expect((await accountOf(w, thief.auth, thiefAccount)).available).toBe(0);
    // The name is free again once its owner binds another.
    ok(await bind(owner, "Rival Trading (Beijing) Co"));
    ok(await bind(thief, owner.company));
  });

  it("two merchants binding the same name at once: one wins, the other is refused", async () => {
    const a = await createMerchant(w);
    const b = await createMerchant(w);
    const ctx = { actor: systemActor(w.tenant.tenantId, "test"), requestId: null };
    const input = {
      companyName: "Concurrent Holdings Ltd",
      bankName: "BOC",
      branch: "Xuhui",
      accountNumber: "6217 0000",
      status: "effective" as const,
    };
    const second = await raceForLastPlace(t, w.tenant.tenantId, (trx, which) =>
      setBankBinding(trx, ctx, which === "first" ? a.id : b.id, input, t.clock.now()),
    );
    expect(second.status).toBe("rejected");
    expect((second as PromiseRejectedResult).reason).toMatchObject({ code: "bank_binding_name_taken" });
    expect(await bindingOf(a.id)).toMatchObject({
      company_name: "Concurrent Holdings Ltd",
      status: "effective",
    });
    expect(await bindingOf(b.id)).toBeUndefined();
  });

  it("a name two merchants already shared is never matched automatically: the wire waits for finance", async () => {
    const first = await createMerchant(w, "Shared Name Trading Co");
    const firstAccount = await openConfigured(w, first);
    const second = await createMerchant(w);
    const secondAccount = await openConfigured(w, second);
    // As bound before names were unique (kept so by the migration that made them unique).
    await t.database.owner
      .updateTable("deposit_bank_bindings")
      .set({ company_name: first.company, legacy_duplicate_name: true })
      .where("tenant_id", "=", w.tenant.tenantId)
      .where("merchant_id", "=", second.id)
      .execute();
    ok(
      await call(w, second.auth, "POST", `/v1/deposit-accounts/${secondAccount}/topups`, { amount: 300_000 }),
      201,
    );
    const firstTopup = ok<{ id: string }>(
      await call(w, first.auth, "POST", `/v1/deposit-accounts/${firstAccount}/topups`, { amount: 300_000 }),
      201,
    );
    const wire = await bankRecord(w, { payer_name: "shared name trading co", amount: 300_000 });
    expect(wire).toMatchObject({ status: "unmatched", reason: "name_ambiguous" });
    expect((await accountOf(w, second.auth, secondAccount)).available).toBe(0);
    const matched = ok<{ status: string }>(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${wire.id}/match`, {
        topup_id: firstTopup.id,
      }),
    );
    expect(matched.status).toBe("matched");
    // Its next change of binding is held to the rule like any other.
    expectCode(await bind(second, first.company), 409, "bank_binding_name_taken");
    ok(await bind(second, second.company));
    expect(
      await t.database.owner
        .selectFrom("deposit_bank_bindings")
        .select("legacy_duplicate_name")
        .where("tenant_id", "=", w.tenant.tenantId)
        .where("merchant_id", "=", second.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ legacy_duplicate_name: false });
  });
});
