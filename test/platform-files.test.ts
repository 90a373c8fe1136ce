import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAsset, Ledger } from "../src/ledger/index.js";
import { recordAudit } from "../src/platform/audit/audit.js";
import { systemActor } from "../src/platform/auth/actor.js";
import "../src/platform/files/builtin.js";
import { firstSheetRows, MAX_XLSX_PARTS } from "../src/platform/files/excel.js";
import { exportTable } from "../src/platform/files/export-table.js";
import {
  createFileJob,
  csvField,
  downloadable,
  type FileDeps,
  getFileJob,
  MAX_IMPORT_ROWS,
  pruneFiles,
  runFileJob,
  saveUpload,
  writeTemplate,
} from "../src/platform/files/file-jobs.js";
import type { FileFormat, ImportMode } from "../src/platform/files/files.schema.js";
import { createTenant } from "../src/platform/tenants.js";
import { ManualClock } from "../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { inflatingXlsx, inlineStringXlsx } from "./helpers/zip.js";

let t: TestDatabase;
let deps: FileDeps;
let dataDir: string;
let tenantId: string;
let otherTenant: string;
const clock = new ManualClock("2026-07-01T00:00:00Z");
const now = () => clock.now();

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-files-"));
  deps = { db: t.db, dataDir };
  tenantId = (await createTenant(t.db, { name: "Files" }, clock.now())).tenantId;
  otherTenant = (await createTenant(t.db, { name: "Other" }, clock.now())).tenantId;
  await t.db.tenantTx(tenantId, async (trx) => {
    for (let i = 0; i < 25; i++) {
      await recordAudit(
        trx,
        systemActor(tenantId, "seed"),
        {
          action: i % 5 === 0 ? "member.created" : "voucher.issued",
          targetType: "x",
          targetId: `x_${i}`,
          summary: { 名: i },
        },
        clock.now(),
      );
    }
  });
});
afterAll(async () => {
  await t.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function exportAudit(format: FileFormat, filters: Record<string, unknown> = {}) {
  const job = await t.db.tenantTx(tenantId, (trx) =>
    createFileJob(
      trx,
      tenantId,
      { kind: "export", type: "audit_events", format, filters, createdBy: "key_1" },
      now(),
    ),
  );
  await runFileJob(deps, tenantId, job.id, now);
  return t.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
}

describe("exports", () => {
  it.each([
    [null, ""],
    [12345, "12345"],
    [-5, "-5"],
    ["plain", "plain"],
    ['say "hi", then go', '"say ""hi"", then go"'],
    ["two\nlines", '"two\nlines"'],
    ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ["-1+2", "'-1+2"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["-12.50", "-12.50"],
    ["+3", "+3"],
    ["-1e3", "'-1e3"],
    [new Date("2026-07-01T00:00:00Z"), "2026-07-01T00:00:00.000Z"],
  ] as const)("writes %j as the CSV field %s", (cell, expected) => {
    expect(csvField(cell)).toBe(expected);
  });

  it("guards formula-looking text in a direct xlsx download as in CSV", async () => {
    const file = await exportTable(
      "guarded",
      "xlsx",
      ["memo", "change"],
      [
        ["=1+2", "-12.50"],
        ["plain", 5],
      ],
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.body as unknown as ArrayBuffer);
    const rows = workbook.worksheets[0]!.getSheetValues().filter(Boolean) as unknown[][];
    expect(rows.map((r) => r.slice(1))).toEqual([
      ["memo", "change"],
      ["'=1+2", "-12.50"],
      ["plain", 5],
    ]);
  });

  it("exports the audit log as CSV with progress counts, under the tenant's folder", async () => {
    const job = await exportAudit("csv");
    expect(job).toMatchObject({ status: "succeeded", rows_total: 25, rows_done: 25, error: null });
    expect(job.file_path).toBe(`${tenantId}/${job.id}.csv`);
    const target = await t.db.tenantTx(tenantId, (trx) =>
      downloadable(trx, tenantId, job.id, dataDir, now()),
    );
    const text = await readFile(target.path, "utf8");
    const rows = parse(text, { bom: true }) as string[][];
    expect(rows[0]).toEqual([
      "id",
      "created_at",
      "actor_type",
      "actor_id",
      "actor_role",
      "actor_label",
      "action",
      "target_type",
      "target_id",
      "summary",
      "request_id",
    ]);
    expect(rows).toHaveLength(26);
    expect(JSON.parse(rows[1]![9]!)).toEqual({ 名: 0 });
  });

  it("exports as xlsx with filters", async () => {
    const job = await exportAudit("xlsx", { action: "member.created" });
    expect(job).toMatchObject({ status: "succeeded", rows_done: 5 });
    const target = await t.db.tenantTx(tenantId, (trx) =>
      downloadable(trx, tenantId, job.id, dataDir, now()),
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(target.path);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(6);
    expect(sheet.getRow(2).getCell(7).value).toBe("member.created");
  });

  it("is downloadable only by its tenant and only until it expires; pruning removes the file", async () => {
    const job = await exportAudit("csv");
    await expect(
      t.db.tenantTx(otherTenant, (trx) => downloadable(trx, otherTenant, job.id, dataDir, now())),
    ).rejects.toMatchObject({ code: "file_job_not_found" });
    const target = await t.db.tenantTx(tenantId, (trx) =>
      downloadable(trx, tenantId, job.id, dataDir, now()),
    );
    clock.advanceDays(7);
    await expect(
      t.db.tenantTx(tenantId, (trx) => downloadable(trx, tenantId, job.id, dataDir, now())),
    ).rejects.toMatchObject({ code: "file_expired" });
    expect(await pruneFiles(deps, now())).toBeGreaterThanOrEqual(1);
    await expect(stat(target.path)).rejects.toMatchObject({ code: "ENOENT" });
    const after = await t.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
    expect(after.status).toBe("expired");
  });
});

describe("account statement export", () => {
  it("exports a ledger account's entries with running balance, and refuses a request without an account", async () => {
    await t.db.tenantTx(tenantId, (trx) =>
      createAsset(trx, tenantId, { code: "CNY", scale: 2, symbol: "¥", name: "Yuan" }, now()),
    );
    const ledger = new Ledger(t.db, { clock, batching: false });
    const [cash, wallet] = await ledger.run(tenantId, async (uow) => {
      const a = await uow.createAccount({ asset: "CNY", kind: "cash" });
      const b = await uow.createAccount({
        asset: "CNY",
        kind: "member_principal",
        debits_must_not_exceed_credits: true,
      });
      if (!a.ok || !b.ok) throw new Error("accounts not created");
      return [a.account, b.account];
    });
    for (const amount of [10_000, 2_500, 700]) {
      const r = await ledger.run(tenantId, (uow) =>
        uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount, code: "topup" }),
      );
      expect(r.ok).toBe(true);
    }
    const job = await t.db.tenantTx(tenantId, (trx) =>
      createFileJob(
        trx,
        tenantId,
        {
          kind: "export",
          type: "account_statement",
          format: "csv",
          filters: { account_id: wallet.id },
          createdBy: "key_1",
        },
        now(),
      ),
    );
    await runFileJob(deps, tenantId, job.id, now);
    const done = await t.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
    expect(done).toMatchObject({ status: "succeeded", rows_done: 3 });
    const target = await t.db.tenantTx(tenantId, (trx) =>
      downloadable(trx, tenantId, job.id, dataDir, now()),
    );
    const rows = parse(await readFile(target.path, "utf8"), { bom: true, columns: true }) as Record<
      string,
      string
    >[];
    expect(rows.map((r) => [r.amount, r.balance, r.direction])).toEqual([
      ["10000", "10000", "credit"],
      ["2500", "12500", "credit"],
      ["700", "13200", "credit"],
    ]);
    await expect(
      t.db.tenantTx(tenantId, (trx) =>
        createFileJob(
          trx,
          tenantId,
          { kind: "export", type: "account_statement", format: "csv", createdBy: "k" },
          now(),
        ),
      ),
    ).rejects.toMatchObject({ code: "validation_failed" });
  });
});

async function importFile(format: FileFormat, content: Buffer | string, mode: ImportMode = "all_or_nothing") {
  const job = await t.db.tenantTx(tenantId, (trx) =>
    createFileJob(
      trx,
      tenantId,
      { kind: "import", type: "org_units", format, mode, createdBy: "key_1" },
      now(),
    ),
  );
  const saved = await saveUpload(dataDir, tenantId, job.id, format, Readable.from([Buffer.from(content)]));
  await t.db.tenantTx(tenantId, (trx) =>
    trx
      .updateTable("file_jobs")
      .set({ file_path: saved.relative, file_size: saved.size })
      .where("id", "=", job.id)
      .execute(),
  );
  await runFileJob(deps, tenantId, job.id, now);
  return t.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
}

async function orgUnits() {
  return t.db.tenantTx(tenantId, (trx) =>
    trx
      .selectFrom("org_units")
      .select(["code", "name", "path", "parent_id", "id"])
      .where("code", "is not", null)
      .execute(),
  );
}

describe("imports", () => {
  const bad = [
    "code,name,kind,parent_code",
    "SH,上海区域,organization,", // kind not importable
    "SH-1,徐汇店,store,SH", // parent is a bad row
    "BJ,北京区域,distributor,",
    "BJ-1,,store,BJ", // name missing
    "BJ-2,朝阳店,store,BJ",
    "BJ-2,朝阳二店,store,BJ", // duplicate code
    "GZ-1,天河店,store,GZ", // unknown parent
    "bad code!,X,planet,",
  ].join("\n");

  it("validates every row first, reports errors per row and column, and writes nothing", async () => {
    const job = await importFile("csv", bad);
    expect(job.status).toBe("failed");
    expect(job.rows_total).toBe(8);
    expect(job.rows_done).toBe(0);
    expect(job.rows_failed).toBe(6);
    expect(job.errors.map((e) => [e.row, e.column])).toEqual([
      [2, "kind"],
      [3, "parent_code"],
      [5, "name"],
      [7, "code"],
      [8, "parent_code"],
      [9, "code"],
      [9, "kind"],
    ]);
    expect(job.errors[4]!.message).toContain("GZ");
    expect(job.error).toContain("nothing was imported");
    expect(await orgUnits()).toEqual([]);
  });

  it("imports the good rows when asked to skip bad ones", async () => {
    const job = await importFile("csv", bad, "skip_bad_rows");
    expect(job).toMatchObject({ status: "succeeded", rows_total: 8, rows_done: 2, rows_failed: 6 });
    const units = await orgUnits();
    expect(units.map((u) => u.code).sort()).toEqual(["BJ", "BJ-2"]);
    const bj = units.find((u) => u.code === "BJ")!;
    expect(units.find((u) => u.code === "BJ-2")!.path).toBe(
      `${bj.path}${units.find((u) => u.code === "BJ-2")!.id}/`,
    );
  });

  it("imports an xlsx tree all or nothing, parents before children, with materialised paths", async () => {
    const file = path.join(dataDir, "units.xlsx");
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("units");
    sheet.addRow(["Code", "Name", "Kind", "Parent_Code"]);
    sheet.addRow(["SZ", "深圳区域", "distributor", ""]);
    sheet.addRow(["SZ-R1", "南山经销商", "reseller", "SZ"]);
    sheet.addRow(["SZ-R1-S1", "海岸城店", "store", "SZ-R1"]);
    sheet.addRow(["BJ-3", "海淀店", "store", "BJ"]); // parent exists already
    await workbook.xlsx.writeFile(file);
    const job = await importFile("xlsx", await readFile(file));
    expect(job).toMatchObject({
      status: "succeeded",
      rows_total: 4,
      rows_done: 4,
      rows_failed: 0,
      errors: [],
    });
    const units = new Map((await orgUnits()).map((u) => [u.code, u]));
    const sz = units.get("SZ")!;
    const r1 = units.get("SZ-R1")!;
    expect(units.get("SZ-R1-S1")!.path).toBe(`${sz.path}${r1.id}/${units.get("SZ-R1-S1")!.id}/`);
    expect(units.get("BJ-3")!.parent_id).toBe(units.get("BJ")!.id);
  });

  it("leaves no temporary file behind when it reads an xlsx, whether the import reads it all or stops early", async () => {
    // exceljs's streaming reader copied a sheet stored before the shared strings (as exceljs
    // writes them) to a temporary file, and removed it only once read past it. Ours reads
    // each part where the zip's directory says it is.
    const workbook = new ExcelJS.Workbook();
    const units = workbook.addWorksheet("units");
    units.addRow(["Code", "Name", "Kind"]);
    units.addRow(["GZ", "广州区域", "distributor"]);
    workbook.addWorksheet("notes").addRow(["ignored", "second sheet"]);
    const whole = (await workbook.xlsx.writeBuffer()) as unknown as Buffer;
    const noKind = new ExcelJS.Workbook();
    noKind.addWorksheet("units").addRow(["Code", "Name"]);
    noKind.getWorksheet("units")!.addRow(["X", "no kind"]);
    const early = (await noKind.xlsx.writeBuffer()) as unknown as Buffer;

    const tempDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-xlsx-temp-"));
    const tmpdirBefore = process.env.TMPDIR;
    process.env.TMPDIR = tempDir;
    // Nothing is written, so there is nothing to wait for: the folder is empty as each ends.
    const leftBehind = async () => expect(await readdir(tempDir)).toEqual([]);
    try {
      expect((await importFile("xlsx", whole)).status).toBe("succeeded");
      await leftBehind();
      const stopped = await importFile("xlsx", early);
      expect(stopped.status).toBe("failed");
      // Refused for its header, not failed on the way: a thrown error would be the job's `error`.
      expect(stopped.errors, `the job's error: ${stopped.error}`).toEqual([
        { row: 1, column: "kind", message: 'missing column "kind"' },
      ]);
      await leftBehind();
    } finally {
      if (tmpdirBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdirBefore;
      await rm(tempDir, { recursive: true, force: true });
    }
  });

  it("imports the workbook's first tab, which need not be the first sheet stored, and inline strings", async () => {
    // Stored notes first, units second; the workbook's tabs put units first, as a spreadsheet
    // program shows them.
    const reordered = await inlineStringXlsx(
      [
        { name: "notes", rows: [["ignored"], ["second tab"]] },
        {
          name: "units",
          rows: [
            ["code", "name", "kind"],
            ["HZ", "杭州区域", "distributor"],
          ],
        },
      ],
      [1, 0],
    );
    const done = await importFile("xlsx", reordered);
    expect(done, `the job: ${done.error} ${JSON.stringify(done.errors)}`).toMatchObject({
      status: "succeeded",
      rows_done: 1,
    });
    const stored = await t.db.tenantTx(tenantId, (trx) =>
      trx.selectFrom("org_units").select(["name", "kind"]).where("code", "=", "HZ").executeTakeFirst(),
    );
    expect(stored).toEqual({ name: "杭州区域", kind: "distributor" });
  });

  it("fails an xlsx whose sheet is damaged part of the way through as no readable workbook", async () => {
    // The second row's text holds a bare "<": the sheet's XML breaks there, after the header.
    const damaged = await inlineStringXlsx(
      [
        {
          name: "units",
          rows: [
            ["code", "name", "kind"],
            ["BR", "broken <name", "store"],
          ],
        },
      ],
      [0],
    );
    const done = await importFile("xlsx", damaged);
    expect(done).toMatchObject({
      status: "failed",
      rows_done: 0,
      error_code: "invalid_file",
      error: "The file is not a readable xlsx workbook",
    });
  });

  it("reads the same rows from an exceljs workbook however often it is read", async () => {
    // exceljs's own streaming reader lost the last part of such an archive, the workbook, now
    // and then (a few reads in a thousand on a busy machine) and failed on "reading 'sheets'".
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("units").addRow(["Code", "Name", "Kind"]);
    workbook.getWorksheet("units")!.addRow(["GZ", "广州区域", "distributor"]);
    workbook.addWorksheet("notes").addRow(["ignored"]);
    const file = path.join(dataDir, "read-often.xlsx");
    await writeFile(file, (await workbook.xlsx.writeBuffer()) as unknown as Buffer);
    const reads = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const rows: string[][] = [];
        for await (const row of firstSheetRows(file, 1024 * 1024)) rows.push(row);
        return rows;
      }),
    );
    for (const rows of reads)
      expect(rows).toEqual([
        ["Code", "Name", "Kind"],
        ["GZ", "广州区域", "distributor"],
      ]);
  });

  it("refuses an xlsx whose directory declares more parts than a workbook has, before reading them", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("units").addRow(["code", "name", "kind"]);
    const bytes = Buffer.from((await workbook.xlsx.writeBuffer()) as ArrayBuffer);
    const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    bytes.writeUInt16LE(MAX_XLSX_PARTS + 1, end + 8);
    bytes.writeUInt16LE(MAX_XLSX_PARTS + 1, end + 10);
    await expect(
      saveUpload(dataDir, tenantId, "imp_parts", "xlsx", Readable.from([bytes])),
    ).rejects.toMatchObject({
      code: "invalid_file",
      message: expect.stringContaining(`${MAX_XLSX_PARTS} parts`),
    });
  });

  it.skipIf(!existsSync("/proc/self/fd"))(
    "closes the uploaded file when a CSV import stops early (needs Linux's /proc)",
    async () => {
      // Larger than a read stream's first chunk, so the file is still being read when the
      // header is refused.
      const rows = Array.from({ length: 20_000 }, (_, i) => `C${i},name ${i}`);
      const openUploads = () =>
        readdirSync("/proc/self/fd").filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path.join(dataDir, "files"));
          } catch {
            return false; // closed while listed
          }
        });
      for (let i = 0; i < 3; i++) {
        const stopped = await importFile("csv", ["code,name", ...rows].join("\n"));
        expect(stopped.errors).toEqual([{ row: 1, column: "kind", message: 'missing column "kind"' }]);
      }
      expect(openUploads()).toEqual([]);
    },
  );

  it("refuses a missing required column and a file over the row limit", async () => {
    const noKind = await importFile("csv", "code,name\nA,B");
    expect(noKind.status).toBe("failed");
    expect(noKind.errors).toEqual([{ row: 1, column: "kind", message: 'missing column "kind"' }]);

    const lines = ["code,name,kind"];
    for (let i = 0; i <= MAX_IMPORT_ROWS; i++) lines.push(`C${i},N,store`);
    const tooMany = await importFile("csv", lines.join("\n"));
    expect(tooMany.status).toBe("failed");
    expect(tooMany.error).toContain("more than 100000 rows");
  });

  it("refuses an upload over the size limit and leaves no file behind", async () => {
    // Fifty times: a file created after the refusal's clean-up was left behind about one time
    // in fourteen, depending on when the file's open completed.
    for (let i = 0; i < 50; i++) {
      const big = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
      await expect(saveUpload(dataDir, tenantId, `imp_big${i}`, "csv", big, 1000)).rejects.toMatchObject({
        code: "payload_too_large",
      });
      await expect(stat(path.join(dataDir, "files", tenantId, `imp_big${i}.upload.csv`))).rejects.toThrow();
    }
  });

  /** What an xlsx may unpack to, as the README states it. */
  const UNPACKED_LIMIT = 64 * 1024 * 1024;

  it("refuses an xlsx that unpacks past the limit, whatever its headers declare, and one that is no zip", async () => {
    const bomb = await inflatingXlsx(["code", "name", "kind"], UNPACKED_LIMIT);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await expect(
      saveUpload(dataDir, tenantId, "imp_bomb", "xlsx", Readable.from([bomb])),
    ).rejects.toMatchObject({ code: "file_too_large", message: expect.stringContaining("64 MiB") });
    await expect(stat(path.join(dataDir, "files", tenantId, "imp_bomb.upload.xlsx"))).rejects.toThrow();

    // Cut off inside its shared strings: the reader used to wait for the rest forever.
    for (const broken of [Buffer.from("code,name,kind\n"), bomb.subarray(0, 2000)]) {
      await expect(
        saveUpload(dataDir, tenantId, "imp_broken", "xlsx", Readable.from([broken])),
      ).rejects.toMatchObject({ code: "invalid_file" });
    }
  });

  it("refuses an xlsx whose cell styles unpack past 4 MiB, which the reader would hold parsed", async () => {
    const styled = await inflatingXlsx(["code", "name", "kind"], 0, 5 * 1024 * 1024);
    expect(styled.length).toBeLessThan(1024 * 1024);
    await expect(
      saveUpload(dataDir, tenantId, "imp_styles", "xlsx", Readable.from([styled])),
    ).rejects.toMatchObject({ code: "file_too_large", message: expect.stringContaining("cell styles") });
    const plain = await inflatingXlsx(["code", "name", "kind"], 0, 1024 * 1024);
    await expect(
      saveUpload(dataDir, tenantId, "imp_styles_ok", "xlsx", Readable.from([plain])),
    ).resolves.toBeDefined();
  });

  it("reads no xlsx past the limit in the job either", async () => {
    const job = await t.db.tenantTx(tenantId, (trx) =>
      createFileJob(
        trx,
        tenantId,
        { kind: "import", type: "org_units", format: "xlsx", createdBy: "key_1" },
        now(),
      ),
    );
    // Stored as it came, as before the upload checked it.
    const relative = `${tenantId}/${job.id}.upload.xlsx`;
    await writeFile(
      path.join(dataDir, "files", relative),
      await inflatingXlsx(["code", "name", "kind"], UNPACKED_LIMIT),
    );
    await t.db.tenantTx(tenantId, (trx) =>
      trx.updateTable("file_jobs").set({ file_path: relative }).where("id", "=", job.id).execute(),
    );
    await runFileJob(deps, tenantId, job.id, now);
    const done = await t.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
    expect(done).toMatchObject({ status: "failed", rows_done: 0 });
    expect(done.error).toContain("unpacks to more than 64 MiB");
  });

  it("refuses a CSV line past 256 columns, before building the row", async () => {
    // A 20 MiB line of commas would be a row of some twenty million cells.
    const wide = await importFile("csv", `code,name,kind\nW1,Wide,store${",".repeat(254)}\n`);
    expect(wide).toMatchObject({ status: "failed", rows_done: 0 });
    expect(wide.error).toContain("line 2 has more than 256 columns");
    const widest = await importFile("csv", `code,name,kind\nW1,Wide,store${",".repeat(253)}\n`);
    expect(widest).toMatchObject({ status: "succeeded", rows_done: 1 });
  });

  it("refuses an xlsx row that reaches past column 256, however sparse", async () => {
    const sheetWith = async (lastCell: string) => {
      const wb = new ExcelJS.Workbook();
      const sheet = wb.addWorksheet("units");
      sheet.addRow(["code", "name", "kind"]);
      sheet.addRow(["XW1", "Wide", "store"]);
      sheet.getCell(lastCell).value = "x";
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    // Column IW is the 257th; IV the 256th.
    const wide = await importFile("xlsx", await sheetWith("IW2"));
    expect(wide).toMatchObject({ status: "failed", rows_done: 0, error_code: "invalid_file" });
    expect(wide.error).toContain("Row 2 has a cell past column 256");
    expect((await orgUnits()).map((u) => u.code)).not.toContain("XW1");
    const widest = await importFile("xlsx", await sheetWith("IV2"));
    expect(widest).toMatchObject({ status: "succeeded", rows_done: 1 });
  });

  it("takes a cell holding a NUL byte for its row's error, in either mode, not for a failed write", async () => {
    const csv = [
      "code,name,kind,parent_code",
      "NUL-1,Good,store,",
      "NUL-2,Bad\u0000name,store,",
      "NUL-3,Orphan,store,NUL\u0000X", // looked up before anything is written
    ].join("\n");
    const message = "must not contain NUL characters or unpaired surrogates";
    const rowErrors = [
      { row: 3, column: "name", message },
      { row: 4, column: "parent_code", message },
    ];
    const nulUnits = async () => (await orgUnits()).map((u) => u.code).filter((c) => c?.startsWith("NUL"));

    const refused = await importFile("csv", csv);
    expect(refused).toMatchObject({ status: "failed", rows_done: 0, rows_failed: 2, errors: rowErrors });
    expect(refused.error).toContain("nothing was imported");
    expect(await nulUnits()).toEqual([]);

    const skipped = await importFile("csv", csv, "skip_bad_rows");
    expect(skipped).toMatchObject({ status: "succeeded", rows_done: 1, rows_failed: 2, errors: rowErrors });
    expect(await nulUnits()).toEqual(["NUL-1"]);
  });

  it("reads a CSV saved by a Chinese Excel (GB18030) as its characters, and refuses bytes of no known encoding", async () => {
    const gb = Buffer.from(
      new Uint8Array([
        ...Buffer.from("code,name,kind,parent_code\nGB-1,"),
        0xd0,
        0xec,
        0xbb,
        0xe3,
        0xb5,
        0xea, // 徐汇店 in GB18030
        ...Buffer.from(",store,\n"),
      ]),
    );
    const job = await importFile("csv", gb);
    expect(job).toMatchObject({ status: "succeeded", rows_done: 1 });
    expect((await orgUnits()).find((u) => u.code === "GB-1")?.name).toBe("徐汇店");
    // 0xFF begins no character in either encoding.
    const unreadable = await importFile(
      "csv",
      Buffer.from([...Buffer.from("code,name,kind\nX,"), 0xff, 0xff, 0x0a]),
    );
    expect(unreadable).toMatchObject({ status: "failed", rows_done: 0, error_code: "import_invalid" });
    expect(unreadable.error).toContain("neither UTF-8 nor GB18030");
  });

  it("writes a template with the columns and an example row", async () => {
    const file = path.join(dataDir, "template.csv");
    await writeTemplate("org_units", "csv", file);
    const rows = parse(await readFile(file, "utf8"), { bom: true }) as string[][];
    expect(rows).toEqual([
      ["code", "name", "kind", "parent_code"],
      ["SH-001", "上海徐汇店", "store", ""],
    ]);
    await writeFile(file, "");
  });
});
