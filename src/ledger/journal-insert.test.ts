import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/db.js";
import { ManualClock } from "../shared/clock.js";
import { newId } from "../shared/ids.js";
import { encodeParam } from "./engine.js";
import { Ledger } from "./ledger.js";
import { createAsset, findTransfer } from "./queries.js";
import type { BatchItem, Transfer } from "./types.js";

/**
 * The journal insert sends a column once when every row has the same value and as an array
 * literal it builds itself otherwise: every value must come back from the table as it went in.
 */
let t: TestDatabase;
const clock = new ManualClock("2026-03-01T00:00:00Z");
let ledger: Ledger;
let ten: string;
let a: string;
let b: string;

beforeAll(async () => {
  t = await createTestDatabase();
  ten = newId("ten");
  await t.owner.insertInto("tenants").values({ id: ten, name: ten }).execute();
  await t.db.tenantTx(ten, (trx) =>
    createAsset(trx, ten, { code: "CNY", scale: 2, name: "Yuan" }, clock.now()),
  );
  ledger = new Ledger(t.db, { clock, batching: true });
  [a, b] = await ledger.run(ten, async (uow) => {
    const ids: string[] = [];
    for (const kind of ["cash", "cash"]) {
      const r = await uow.createAccount({ asset: "CNY", kind });
      if (!r.ok) throw new Error(r.code);
      ids.push(r.account.id);
    }
    return ids as [string, string];
  });
});
afterAll(async () => t?.drop());

async function roundTrip(items: BatchItem[]): Promise<{ sent: Transfer; stored: Transfer | undefined }[]> {
  const results = await ledger.run(ten, (uow) => uow.batch(items));
  const sent = results.map((r) => {
    if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
    return r.transfer;
  });
  return t.db.tenantTx(ten, async (trx) =>
    Promise.all(sent.map(async (s) => ({ sent: s, stored: await findTransfer(trx, ten, s.id) }))),
  );
}

describe("journal insert", () => {
  it("stores text that needs quoting in an array literal, nulls among values, and mixed metadata", async () => {
    const awkward = [
      'say "hi"',
      "back\\slash",
      "NULL",
      "null",
      "{braces}, commas",
      " padded ",
      "",
      "多语言 ✓",
    ];
    const items: BatchItem[] = awkward.map((memo, i) => ({
      debit_account_id: i % 2 === 0 ? a : b,
      credit_account_id: i % 2 === 0 ? b : a,
      amount: 100 + i,
      code: i % 3 === 0 ? "topup" : "payment",
      memo,
      reference_module: i % 2 === 0 ? null : "orders",
      reference_id: i % 2 === 0 ? null : `ord-${i}`,
      metadata: i % 4 === 0 ? null : { note: memo, n: i, nested: { q: '"', s: "\\" } },
      ...(i === 5 ? { pending: true, timeout_seconds: 3600 } : {}),
    }));
    const rows = await roundTrip(items);
    for (const { sent, stored } of rows) expect(stored).toEqual(sent);
    expect(rows.map((r) => r.stored?.memo)).toEqual(awkward);
    expect(rows[5]!.stored?.kind).toBe("pending");
    expect(rows[5]!.stored?.timeout_at?.toISOString()).toBe("2026-03-01T01:00:00.000Z");
  });

  it("stores a batch whose columns are all uniform but the id, and a single transfer", async () => {
    const same = { debit_account_id: a, credit_account_id: b, amount: 7, memo: "same", metadata: { k: "v" } };
    const many = await roundTrip(Array.from({ length: 50 }, () => ({ ...same })));
    expect(many).toHaveLength(50);
    for (const { sent, stored } of many) expect(stored).toEqual(sent);
    const [one] = await roundTrip([{ ...same, id: "client-chosen_1" }]);
    expect(one!.stored).toEqual(one!.sent);
    expect(one!.stored?.id).toBe("client-chosen_1");
  });

  it("encodes plain arrays so that PostgreSQL reads them as it reads node-postgres's own encoding", async () => {
    const cases: [string, unknown[]][] = [
      ["text", ['say "hi"', "back\\slash", "NULL", null, "{a,b}", " x ", "", "多语言"]],
      ["int8", [0, -1, 9007199254740991, null, 42]],
      ["bool", [true, false, null]],
      ["text", []],
    ];
    for (const [type, values] of cases) {
      const encoded = encodeParam(values);
      expect(typeof encoded).toBe("string");
      const { rows } = await t.db.pool.query(
        `select $1::${type}[] is not distinct from $2::${type}[] as same, cardinality($1::${type}[]) as n`,
        [encoded, values],
      );
      expect(rows[0]).toEqual({ same: true, n: values.length });
    }
    // Dates and objects are left to node-postgres.
    const dates = [new Date(0)];
    expect(encodeParam(dates)).toBe(dates);
    expect(encodeParam([{ a: 1 }])).toEqual([{ a: 1 }]);
    expect(encodeParam("plain")).toBe("plain");
  });
});
