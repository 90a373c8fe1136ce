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

  it("writes appended rows of several tables with the batch: a left-out column takes its default", async () => {
    const ids = [newId("aud"), newId("aud"), newId("aud")];
    const at = new Date("2026-03-01T08:00:00.000Z");
    const row = (id: string, action: string) => ({
      tenant_id: ten,
      id,
      actor_type: "api_key",
      actor_id: "key_1",
      action,
      target_type: "ledger_transfer",
    });
    await ledger.run(ten, async (uow) => {
      const moved = await uow.batch([{ debit_account_id: a, credit_account_id: b, amount: 3 }]);
      expect(moved[0]!.ok).toBe(true);
      // Rows of one table naming different columns, in an order that differs between them.
      uow.append("audit_events", {
        ...row(ids[0]!, 'say "hi"'),
        summary: JSON.stringify({ n: 1 }),
        created_at: at,
      });
      uow.append("audit_events", {
        created_at: at,
        ...row(ids[1]!, "back\\slash, {braces}"),
        target_id: "t_2",
      });
      uow.append("audit_events", { ...row(ids[2]!, "多语言"), request_id: "req_3" });
      uow.append("events", {
        tenant_id: ten,
        id: newId("evt"),
        type: "ledger.tested",
        data: "{}",
        created_at: at,
      });
    });
    const stored = await t.db.tenantTx(ten, (trx) =>
      trx
        .selectFrom("audit_events")
        .select(["id", "action", "summary", "target_id", "request_id", "created_at"])
        .where("id", "in", ids)
        .orderBy("id")
        .execute(),
    );
    expect(stored.map((r) => r.action)).toEqual(['say "hi"', "back\\slash, {braces}", "多语言"]);
    expect(stored.map((r) => r.summary)).toEqual([{ n: 1 }, {}, {}]);
    expect(stored.map((r) => r.target_id)).toEqual([null, "t_2", null]);
    expect(stored.map((r) => r.request_id)).toEqual([null, null, "req_3"]);
    expect(stored[0]!.created_at.toISOString()).toBe(at.toISOString());
    // The third row named no time: the column's default, the database's clock, not the test's.
    expect(stored[2]!.created_at.getTime()).toBeGreaterThan(at.getTime());
    const events = await t.db.tenantTx(ten, (trx) =>
      trx.selectFrom("events").select("type").where("type", "=", "ledger.tested").execute(),
    );
    expect(events).toHaveLength(1);
  });

  it("stores rows that name the same columns, sent a column at a time, as each row sent alone", async () => {
    const awkward = ['say "hi"', "back\\slash", "NULL", "{braces}, commas", " padded ", "", "多语言 ✓"];
    const rowsOf = (prefix: string) =>
      awkward.map((text, i) => ({
        tenant_id: ten,
        id: `${prefix}_${i}`,
        actor_type: "api_key",
        actor_id: text,
        actor_role: i % 2 === 0 ? null : "owner",
        action: `ledger.${i}`,
        target_type: "ledger_transfer",
        target_id: i % 3 === 0 ? null : text,
        summary: JSON.stringify({ text, n: i, nested: { q: '"', s: "\\" } }),
        request_id: i % 2 === 0 ? `req_${i}` : null,
        created_at: new Date(Date.UTC(2026, 2, 1, 8, 0, 0, i * 37)),
      }));
    const together = rowsOf("aud_together");
    await ledger.run(ten, async (uow) => {
      for (const row of together) uow.append("audit_events", row);
    });
    for (const row of rowsOf("aud_alone")) {
      await ledger.run(ten, async (uow) => {
        uow.append("audit_events", row);
      });
    }
    const stored = (prefix: string) =>
      t.db.tenantTx(ten, (trx) =>
        trx.selectFrom("audit_events").selectAll().where("id", "like", `${prefix}_%`).orderBy("id").execute(),
      );
    const batched = await stored("aud_together");
    const alone = await stored("aud_alone");
    expect(batched).toHaveLength(awkward.length);
    expect(batched.map(({ id: _, ...rest }) => rest)).toEqual(alone.map(({ id: _, ...rest }) => rest));
    expect(batched.map((r) => r.actor_id)).toEqual(awkward);
    expect(batched.map((r) => r.created_at.toISOString())).toEqual(
      together.map((r) => r.created_at.toISOString()),
    );
    expect(batched[1]!.summary).toEqual({ text: awkward[1], n: 1, nested: { q: '"', s: "\\" } });
  });
});
