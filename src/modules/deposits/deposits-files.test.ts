import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  ok,
  openConfigured,
  topUp,
} from "../../../test/helpers/deposits.js";
import {
  createFileJob,
  downloadable,
  type FileDeps,
  getFileJob,
  runFileJob,
  saveUpload,
} from "../../platform/files/file-jobs.js";
import type { ImportMode } from "../../platform/files/files.schema.js";
import { parseStatementAmount } from "./deposits.files.js";
import { BANK_RECORD_MAX_LENGTH } from "./deposits.schemas.js";

let t: TestApp;
let w: DepositWorld;
let files: FileDeps;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
  files = { db: t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-deposits-")) };
});
afterAll(async () => {
  await t?.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

const now = () => t.clock.now();

async function importStatement(csv: string, mode: ImportMode = "all_or_nothing") {
  const tenantId = w.tenant.tenantId;
  const job = await t.deps.db.tenantTx(tenantId, (trx) =>
    createFileJob(
      trx,
      tenantId,
      { kind: "import", type: "deposit_bank_statement", format: "csv", mode, createdBy: "k" },
      now(),
    ),
  );
  const saved = await saveUpload(files.dataDir, tenantId, job.id, "csv", Readable.from([Buffer.from(csv)]));
  await t.deps.db.tenantTx(tenantId, (trx) =>
    trx
      .updateTable("file_jobs")
      .set({ file_path: saved.relative, file_size: saved.size })
      .where("id", "=", job.id)
      .execute(),
  );
  await runFileJob(files, tenantId, job.id, now);
  return t.deps.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
}

describe("deposit files", () => {
  it("reads statement amounts as exact minor units", () => {
    expect(parseStatementAmount("3000.00")).toBe(300_000);
    expect(parseStatementAmount("3,000.5")).toBe(300_050);
    expect(parseStatementAmount("0.07")).toBe(7);
    expect(parseStatementAmount("1.234")).toBeUndefined();
    expect(parseStatementAmount("-5")).toBeUndefined();
  });

  it("imports a bank statement: matched rows credit once, others queue, bad rows refuse the file", async () => {
    const m = await createMerchant(w, "Statement Import Co");
    const id = await openConfigured(w, m);
    ok(await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }), 201);
    const at = now().toISOString();
    const header = "bank_transaction_id,payer_name,amount,reference,received_at";
    const bad = await importStatement(
      [header, `S-1,${m.company},3000.00,,${at}`, `S-2,${m.company},abc,,${at}`].join("\n"),
    );
    expect(bad.status).toBe("failed");
    expect(bad.errors).toContainEqual(expect.objectContaining({ row: 3, column: "amount" }));
    expect((await accountOf(w, m.auth, id)).available).toBe(0);

    const good = [header, `S-1,${m.company},"3,000.00",,${at}`, `S-3,Someone Else Ltd,3000.00,,${at}`].join(
      "\n",
    );
    expect((await importStatement(good)).status).toBe("succeeded");
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "active", available: 300_000 });
    // The same statement again: S-1 is known, nothing is credited twice.
    expect((await importStatement(good)).status).toBe("succeeded");
    expect((await accountOf(w, m.auth, id)).available).toBe(300_000);
    const unmatched = ok<{ data: { bank_transaction_id: string; reason: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-bank-records?status=unmatched"),
    );
    expect(unmatched.data).toContainEqual(
      expect.objectContaining({ bank_transaction_id: "S-3", reason: "name_mismatch" }),
    );
  });

  it("exports the account ledger with income, expense and running balance", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    await topUp(w, m, id, 500_000);
    ok(
      await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
        order_id: "E1",
        amount: 12_345,
      }),
      201,
    );
    ok(await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/orders/E1/settle`, {}));
    const tenantId = w.tenant.tenantId;
    const job = await t.deps.db.tenantTx(tenantId, (trx) =>
      createFileJob(
        trx,
        tenantId,
        {
          kind: "export",
          type: "deposit_account_ledger",
          format: "csv",
          filters: { account_id: id },
          createdBy: "k",
        },
        now(),
      ),
    );
    await runFileJob(files, tenantId, job.id, now);
    const file = await t.deps.db.tenantTx(tenantId, (trx) =>
      downloadable(trx, tenantId, job.id, files.dataDir, now()),
    );
    const rows = parse(await readFile(file.path, "utf8"), { columns: true, bom: true }) as Record<
      string,
      string
    >[];
    expect(rows.map((r) => [r.direction, r.amount, r.balance, r.code])).toEqual([
      ["income", "500000", "500000", "deposit_topup"],
      ["expense", "12345", "487655", "deposit_settle"],
    ]);
  });
});

describe("bank statement rows are held to POST /v1/deposit-bank-records' rules", () => {
  const header = "bank_transaction_id,payer_name,payer_account,amount,reference,received_at";

  it("refuses a received_at the API refuses, naming each row", async () => {
    // new Date() stored 2001-01-01, 2026-03-02 and 2001-11-23 for these.
    const job = await importStatement(
      [
        header,
        "RA-1,Acme,,10.00,,1",
        "RA-2,Acme,,10.00,,2026-02-30T10:00:00+08:00",
        "RA-3,Acme,,10.00,,Nov 23",
        "RA-4,Acme,,10.00,,2026-11-23T10:00:00+08:00",
      ].join("\n"),
    );
    expect(job.status).toBe("failed");
    expect(job.errors.map((e) => `${e.row}/${e.column}`)).toEqual([
      "2/received_at",
      "3/received_at",
      "4/received_at",
    ]);
  });

  it("bounds payer_account and reference as the API does", async () => {
    const account = "9".repeat(BANK_RECORD_MAX_LENGTH.payer_account);
    const reference = "R".repeat(BANK_RECORD_MAX_LENGTH.reference);
    const at = "2026-11-23T10:00:00+08:00";
    const job = await importStatement(
      [
        header,
        `RL-1,Acme,${account}9,10.00,${reference},${at}`,
        `RL-2,Acme,${account},10.00,${reference}R,${at}`,
      ].join("\n"),
    );
    expect(job.status).toBe("failed");
    expect(job.errors.map((e) => `${e.row}/${e.column}`)).toEqual(["2/payer_account", "3/reference"]);
    // As the API's maxLength, characters are counted, not UTF-16 units.
    const emoji = "\u{1F600}".repeat(BANK_RECORD_MAX_LENGTH.reference);
    const atLimit = await importStatement(
      [header, `RL-3,Acme,${account},10.00,${reference},${at}`, `RL-4,Acme,,10.00,${emoji},${at}`].join("\n"),
    );
    expect(atLimit).toMatchObject({ status: "succeeded", rows_done: 2 });
  });

  it("skip_bad_rows: a far-past received_at is a row error; the other rows are imported", async () => {
    // PostgreSQL refused this year and failed the whole job ("timestamp out of range").
    const job = await importStatement(
      [
        header,
        "RP-1,Acme,,10.00,,2026-11-23T10:00:00+08:00",
        "RP-2,Acme,,10.00,,-271821-04-20T00:00:00Z",
        "RP-3,Acme,,10.00,,+275760-09-13T00:00:00Z",
      ].join("\n"),
      "skip_bad_rows",
    );
    expect(job).toMatchObject({ status: "succeeded", error: null, rows_done: 1, rows_failed: 2 });
    expect(job.errors.map((e) => `${e.row}/${e.column}`)).toEqual(["3/received_at", "4/received_at"]);
  });
});

describe("deposit account exports' time filters", () => {
  it.each(["deposit_account_ledger", "deposit_account_transactions"])(
    "%s refuses a time the account's ledger list refuses",
    async (type) => {
      const m = await createMerchant(w);
      const id = await openConfigured(w, m);
      // Feb 30 was read as 2 March; the far-past year failed the row count with a 500.
      for (const value of ["2026-02-30T00:00:00Z", "1", "-271821-04-20T00:00:00Z"]) {
        expectCode(
          await call(
            w,
            w.tenant.auth,
            "GET",
            `/v1/deposit-accounts/${id}/ledger?created_gte=${encodeURIComponent(value)}`,
          ),
          400,
          "validation_failed",
        );
        for (const key of ["created_gte", "created_lt"]) {
          const r = await call(w, w.tenant.auth, "POST", "/v1/exports", {
            type,
            format: "csv",
            filters: { account_id: id, [key]: value },
          });
          expectCode(r, 400, "validation_failed");
          expect(
            (r.json() as { errors: { field: string }[] }).errors.map((e) => e.field),
            value,
          ).toEqual([`/body/filters/${key}`]);
        }
      }
    },
  );
});
