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
import { parseStatementAmount } from "./deposits.files.js";

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

async function importStatement(csv: string) {
  const tenantId = w.tenant.tenantId;
  const job = await t.deps.db.tenantTx(tenantId, (trx) =>
    createFileJob(
      trx,
      tenantId,
      { kind: "import", type: "deposit_bank_statement", format: "csv", createdBy: "k" },
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
