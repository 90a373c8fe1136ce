import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import {
  createFileJob,
  type FileDeps,
  getFileJob,
  runFileJob,
  saveUpload,
} from "../../platform/files/file-jobs.js";
import type { FileFormat, ImportMode } from "../../platform/files/files.schema.js";

let t: TestApp;
let tenant: TestTenant;
let files: FileDeps;
const now = () => t.clock.now();

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  files = { db: t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-members-")) };
  await t.app.inject({
    method: "POST",
    url: "/v1/card-plans",
    headers: tenant.auth,
    payload: {
      code: "standard",
      name: "Standard",
      validity: { kind: "permanent" },
      tiers: [{ code: "gold", name: "Gold", rank: 1 }],
    },
  });
  await t.app.inject({
    method: "POST",
    url: "/v1/member-tags",
    headers: tenant.auth,
    payload: { code: "vip", name: "VIP" },
  });
});
afterAll(async () => {
  await t?.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

async function importFile(format: FileFormat, content: string | Buffer, mode: ImportMode = "all_or_nothing") {
  const tenantId = tenant.tenantId;
  const job = await t.deps.db.tenantTx(tenantId, (trx) =>
    createFileJob(trx, tenantId, { kind: "import", type: "members", format, mode, createdBy: "k" }, now()),
  );
  const saved = await saveUpload(
    files.dataDir,
    tenantId,
    job.id,
    format,
    Readable.from([Buffer.from(content)]),
  );
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

const importCsv = (csv: string, mode?: ImportMode) => importFile("csv", csv, mode);

async function membersFound(q: string) {
  const r = await t.app.inject({ method: "GET", url: `/v1/members?q=${q}`, headers: tenant.auth });
  return json<{ data: { name: string; birthday: string | null }[] }>(r).data;
}

describe("member import through the import machinery", () => {
  it("refuses the file with each bad row named, then imports a good one", async () => {
    const bad = await importCsv(
      "name,external_ref,tier,tags,birthday\nAda,r1,gold,vip,03-15\nBob,r1,diamond,,13-01\n,r3,,nope,\n",
    );
    expect(bad.status).toBe("failed");
    const errors = bad.errors as { row: number; column: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 3, column: "birthday" }),
        expect.objectContaining({ row: 4, column: "name" }),
      ]),
    );
    const none = json<{ data: unknown[] }>(
      await t.app.inject({ method: "GET", url: "/v1/members", headers: tenant.auth }),
    );
    expect(none.data).toHaveLength(0);

    const fields = await importCsv(
      `name,phone,email,external_ref,card_number\nAda,call me,,,\nBob,,not-an-email,,\nCy,,,${"r".repeat(129)},\nDi,,,,${"c".repeat(65)}\nEd,${"9".repeat(40)},,,\n`,
    );
    expect(fields.status).toBe("failed");
    expect(fields.errors).toEqual([
      expect.objectContaining({ row: 2, column: "phone" }),
      expect.objectContaining({ row: 3, column: "email" }),
      expect.objectContaining({ row: 4, column: "external_ref" }),
      expect.objectContaining({ row: 5, column: "card_number" }),
      expect.objectContaining({ row: 6, column: "phone" }),
    ]);

    const refs = await importCsv("name,external_ref,tier,tags\nAda,r1,gold,vip\nBob,r1,,\n");
    expect(refs.status).toBe("failed");
    expect(refs.errors).toEqual([expect.objectContaining({ row: 3, column: "external_ref" })]);

    // A column named twice, also in another case: which cell is the phone? Refused, not guessed.
    const twice = await importCsv("name,external_ref,phone,Phone\nAda,r1,13900000001,13900000002\n");
    expect(twice.status).toBe("failed");
    expect(twice.errors).toEqual([expect.objectContaining({ row: 1, column: "phone" })]);
    expect(twice.rows_done).toBe(0);

    const good = await importCsv(
      'name,external_ref,tier,tags,student\nAda,r1,gold,"vip,vip",yes\nBob,r2,,,no\n',
    );
    expect(good.status, JSON.stringify(good.errors)).toBe("succeeded");
    const all = json<{ data: { name: string; tier: string | null; tags: string[]; student: boolean }[] }>(
      await t.app.inject({ method: "GET", url: "/v1/members?q=r", headers: tenant.auth }),
    );
    expect(all.data.map((m) => [m.name, m.tier, m.tags, m.student])).toEqual([
      ["Ada", "gold", ["vip"], true],
      ["Bob", null, [], false],
    ]);
  });

  it("skips a row whose cell holds a NUL byte as a bad row, importing the others", async () => {
    const job = await importCsv(
      "name,external_ref\nGood,nul-good\nBad\u0000name,nul-bad\nRef,nul-\u0000ref\n",
      "skip_bad_rows",
    );
    const message = "must not contain NUL characters or unpaired surrogates";
    expect(job).toMatchObject({
      status: "succeeded",
      rows_done: 1,
      rows_failed: 2,
      errors: [
        { row: 3, column: "name", message },
        { row: 4, column: "external_ref", message },
      ],
    });
    expect((await membersFound("nul-")).map((m) => m.name)).toEqual(["Good"]);
  });

  it("reads a date cell as its day, as the synchronous import does", async () => {
    const workbook = async (ref: string) => {
      const wb = new ExcelJS.Workbook();
      const sheet = wb.addWorksheet("members");
      sheet.addRow(["name", "external_ref", "birthday"]);
      sheet.addRow(["Date Cell", ref, new Date(Date.UTC(1990, 2, 15))]);
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const job = await importFile("xlsx", await workbook("date-cell-job"));
    expect(job).toMatchObject({ status: "succeeded", rows_done: 1, errors: [] });
    const sync = await t.app.inject({
      method: "POST",
      url: "/v1/members/import",
      headers: tenant.auth,
      payload: { format: "xlsx", content_base64: (await workbook("date-cell-sync")).toString("base64") },
    });
    expect(sync.statusCode, sync.body).toBe(201);
    const found = await membersFound("date-cell-");
    expect(found.map((m) => m.birthday)).toEqual(["1990-03-15", "1990-03-15"]);
  });
});
