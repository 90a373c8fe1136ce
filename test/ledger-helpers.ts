import { expect } from "vitest";
import type { Ledger } from "../src/ledger/ledger.js";
import { createAsset } from "../src/ledger/queries.js";
import type { Account, AccountInput, TransferResult } from "../src/ledger/types.js";
import type { Clock } from "../src/shared/clock.js";
import { newId } from "../src/shared/ids.js";
import type { TestDatabase } from "./helpers/db.js";

/** A tenant with CNY (scale 2) and POINTS (scale 0). */
export async function ledgerTenant(t: TestDatabase, clock: Clock): Promise<string> {
  const id = newId("ten");
  await t.owner.insertInto("tenants").values({ id, name: id }).execute();
  await t.db.tenantTx(id, async (trx) => {
    await createAsset(trx, id, { code: "CNY", scale: 2, name: "Yuan" }, clock.now());
    await createAsset(trx, id, { code: "POINTS", scale: 0, name: "Points" }, clock.now());
  });
  return id;
}

export async function openAccounts(
  ledger: Ledger,
  tenantId: string,
  inputs: AccountInput[],
): Promise<Account[]> {
  return ledger.run(tenantId, async (uow) => {
    const out: Account[] = [];
    for (const input of inputs) {
      const r = await uow.createAccount(input);
      if (!r.ok) throw new Error(r.code);
      out.push(r.account);
    }
    return out;
  });
}

export function tally(results: TransferResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.code] = (counts[r.code] ?? 0) + 1;
  return counts;
}

/** An audit row already stored: a unit that appends it again fails its batch at commit time. */
export async function storedAuditRow(t: TestDatabase, tenantId: string) {
  const audit = {
    tenant_id: tenantId,
    id: newId("aud"),
    actor_type: "system",
    actor_id: "test",
    actor_role: null,
    action: "test",
    target_type: "x",
    target_id: null,
    request_id: null,
  };
  await t.db.tenantTx(tenantId, (trx) => trx.insertInto("audit_events").values(audit).execute());
  return audit;
}

/** A cash account, a wallet that cannot go below zero funded from it with `amount`, and a merchant sink. */
export async function funded(
  ledger: Ledger,
  ten: string,
  amount: number,
): Promise<{ source: Account; wallet: Account; sink: Account }> {
  const [source, wallet, sink] = await openAccounts(ledger, ten, [
    { asset: "CNY", kind: "cash" },
    { asset: "CNY", kind: "wallet", debits_must_not_exceed_credits: true },
    { asset: "CNY", kind: "merchant" },
  ]);
  const r = await ledger.run(ten, (uow) =>
    uow.transfer({ debit_account_id: source!.id, credit_account_id: wallet!.id, amount }),
  );
  expect(r.ok).toBe(true);
  return { source: source!, wallet: wallet!, sink: sink! };
}
