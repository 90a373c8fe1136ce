import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { tenantTrail } from "../../test/helpers/trail.js";
import { funded, ledgerTenant } from "../../test/ledger-helpers.js";
import { voidExpiredHolds } from "./holds.js";
import { findAccount, holdState } from "./queries.js";
import type { Account, Transfer } from "./types.js";

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

/** `count` holds of `amount` each from `wallet`, each timing out after a minute. */
async function holds(ten: string, wallet: Account, sink: Account, count: number, amount = 1) {
  return t.deps.ledger.run(ten, async (uow) => {
    const out: Transfer[] = [];
    for (let i = 0; i < count; i++) {
      const r = await uow.hold({
        debit_account_id: wallet.id,
        credit_account_id: sink.id,
        amount,
        timeout_seconds: 60,
      });
      if (!r.ok) throw new Error(r.code);
      out.push(r.transfer);
    }
    return out;
  });
}

const account = (ten: string, id: string) => t.database.db.tenantTx(ten, (trx) => findAccount(trx, ten, id));
const state = (ten: string, id: string) => t.database.db.tenantTx(ten, (trx) => holdState(trx, ten, id));

describe("the hold-expiry job", () => {
  it("voids every expired hold of a tenant in one run, page after page: the balances add up and each release is audited", async () => {
    const ten = await ledgerTenant(t.database, t.clock);
    const { wallet, sink } = await funded(t.deps.ledger, ten, 5_000);
    const placed = await holds(ten, wallet, sink, 1_200);
    expect(await account(ten, wallet.id)).toMatchObject({ debits_pending: 1_200, debits_posted: 0 });

    t.clock.advance(61_000);
    expect(await voidExpiredHolds(t.deps.ledger, ten, t.clock.now())).toBe(1_200);
    expect(await account(ten, wallet.id)).toMatchObject({
      debits_pending: 0,
      debits_posted: 0,
      credits_posted: 5_000,
    });
    expect(await account(ten, sink.id)).toMatchObject({ credits_pending: 0, credits_posted: 0 });
    expect(await voidExpiredHolds(t.deps.ledger, "all", t.clock.now())).toBe(0);
    const trail = tenantTrail(t, ten);
    await trail.ledgerClean();
    // Each release is audited, as the job that made it.
    const audited = await t.database.owner
      .selectFrom("audit_events")
      .select(["target_id", "actor_type", "actor_id"])
      .where("tenant_id", "=", ten)
      .where("action", "=", "ledger_hold.expired")
      .execute();
    expect(new Set(audited.map((r) => r.target_id))).toEqual(new Set(placed.map((h) => h.id)));
    expect(audited).toHaveLength(1_200);
    expect(audited[0]).toMatchObject({ actor_type: "system", actor_id: "ledger.void_expired_holds" });
    expect(await trail.audit(placed[0]!.id)).toEqual(["ledger_hold.expired"]);
  });

  it("a hold that cannot be voided holds back neither the tenant's other holds nor other tenants'", async () => {
    const broken = await ledgerTenant(t.database, t.clock);
    const a = await funded(t.deps.ledger, broken, 100);
    const b = await funded(t.deps.ledger, broken, 100);
    const [stuck] = await holds(broken, a.wallet, a.sink, 1, 30);
    const [fine] = await holds(broken, b.wallet, b.sink, 1, 40);
    const other = await ledgerTenant(t.database, t.clock);
    const c = await funded(t.deps.ledger, other, 100);
    const [elsewhere] = await holds(other, c.wallet, c.sink, 1, 50);
    // The stuck hold's account no longer shows it pending: voiding it fails on every run.
    const pending = (value: number) =>
      t.database.owner
        .updateTable("ledger_accounts")
        .set({ debits_pending: value })
        .where("tenant_id", "=", broken)
        .where("id", "=", a.wallet.id)
        .execute();
    await pending(0);

    t.clock.advance(61_000);
    await expect(voidExpiredHolds(t.deps.ledger, broken, t.clock.now())).rejects.toThrow(
      `1 expired hold(s) failed: ${stuck!.id}: `,
    );
    expect(await state(broken, fine!.id)).toMatchObject({ state: "voided" });
    expect(await state(broken, stuck!.id)).toMatchObject({ state: "pending" });
    // Across tenants the failure names its tenant, and the other tenant's hold is released.
    await expect(voidExpiredHolds(t.deps.ledger, "all", t.clock.now())).rejects.toThrow(
      `${broken}: 1 expired hold(s) failed: ${stuck!.id}`,
    );
    expect(await state(other, elsewhere!.id)).toMatchObject({ state: "voided" });
    expect(await account(other, c.wallet.id)).toMatchObject({ debits_pending: 0 });

    // Repaired, the next run releases it.
    await pending(30);
    expect(await voidExpiredHolds(t.deps.ledger, "all", t.clock.now())).toBe(1);
    expect(await state(broken, stuck!.id)).toMatchObject({ state: "voided" });
    await tenantTrail(t, broken).ledgerClean();
    await tenantTrail(t, other).ledgerClean();
  });
});
