import { expect } from "vitest";
import { expectTransfer } from "../../src/ledger/index.js";
import { creditTaggedTopup } from "../../src/modules/wallets/index.js";
import { openMemberAccounts, openSystem } from "../../src/modules/wallets/wallets.ledger.js";
import { loadSettings } from "../../src/modules/wallets/wallets.repository.js";
import { systemActor } from "../../src/platform/auth/actor.js";
import { newId } from "../../src/shared/ids.js";
import { json, type TestApp, type TestTenant } from "./app.js";

export interface BalanceBody {
  principal: number;
  bonus: number;
  total: number;
  available: number;
  held: number;
  points: number;
  referral_points: number;
}

/**
 * Calls as one tenant's owner: every POST gets a fresh Idempotency-Key; `ok` asserts a
 * 2xx answer; `newMember` registers one; `balance` reads a member's balance.
 */
export function walletClient(t: TestApp, tenant: TestTenant) {
  let key = 0;
  const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, headers = tenant.auth) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(method === "POST" ? { "idempotency-key": `k-${++key}` } : {}) },
      ...(payload ? { payload } : {}),
    });
  const ok = async <T = Record<string, unknown>>(
    method: "GET" | "POST" | "PATCH",
    url: string,
    payload?: object,
  ) => {
    const r = await call(method, url, payload);
    expect(r.statusCode, r.body).toBeLessThan(300);
    return json<T>(r);
  };
  const newMember = async (name = "M") => (await ok<{ id: string }>("POST", "/v1/members", { name })).id;
  const balance = (id: string) => ok<BalanceBody>("GET", `/v1/members/${id}/balance`);
  return { call, ok, newMember, balance };
}

/**
 * Gives the member `count` plan top-ups at the till (principal and bonus each, so two lots
 * with money left apiece), credited as a plan top-up credits them, in one unit of work.
 */
export async function fillLots(t: TestApp, tenantId: string, memberId: string, count: number) {
  const ctx = { actor: systemActor(tenantId, "test"), requestId: null };
  await t.deps.ledger.run(tenantId, async (uow) => {
    for (let i = 0; i < count; i++) {
      await creditTaggedTopup(
        uow,
        ctx,
        {
          memberId,
          source: { type: "topup", id: newId("tup"), name: "Plan" },
          principal: 100,
          bonus: 1,
          channel: "offline",
          rules: { eligibleSkus: null, sameDayLimitBps: null, noBonusOnTopupDay: false },
        },
        t.clock.now(),
      );
    }
  });
}

/**
 * Gives the member `count` principal lots of 1 minor unit each, every one with money left, as
 * refunds reopening the lots of many payments leave them: past what a top-up may open, up to
 * past what a balance read takes in. Set-based (the lot rows in a few inserts, the credits as
 * one ledger batch), in one unit of work; the ledger stays balanced.
 */
export async function fillSpendableLots(t: TestApp, tenantId: string, memberId: string, count: number) {
  const now = t.clock.now();
  await t.deps.ledger.run(tenantId, async (uow) => {
    const { asset } = await loadSettings(uow.trx, tenantId, now);
    await openMemberAccounts(uow, memberId, asset);
    const source = await openSystem(uow, "topup_offline", asset);
    const ids = Array.from({ length: count }, () => newId("wlot"));
    for (let i = 0; i < ids.length; i += 1000) {
      await uow.trx
        .insertInto("wallet_lots")
        .values(
          ids.slice(i, i + 1000).map((id) => ({
            tenant_id: tenantId,
            id,
            member_id: memberId,
            kind: "principal" as const,
            asset,
            amount: 1,
            source_type: "topup",
            source_id: `tup_fill_${id}`,
            source_name: "Filled",
            eligible_skus: null,
            same_day_limit_bps: null,
            no_use_on_topup_day: false,
            topup_day: now.toISOString().slice(0, 10),
            created_at: now,
          })),
        )
        .execute();
    }
    for (const id of ids) {
      const created = await uow.createAccount({
        id,
        asset,
        kind: "member_principal_lot",
        owner_module: "wallets",
        owner_id: memberId,
        debits_must_not_exceed_credits: true,
      });
      if (!created.ok) throw new Error(`ledger refused lot ${id}: ${created.code}`);
    }
    const results = await uow.batch(
      ids.map((id) => ({
        id: `wtlp_fill_${id}`,
        debit_account_id: source,
        credit_account_id: id,
        amount: 1,
        code: "topup_offline",
        reference_module: "wallets",
        reference_id: `tup_fill_${id}`,
        linked: false,
      })),
    );
    for (const r of results) expectTransfer(r);
  });
}
