import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { type giftCardClient, giftCardTenant, type SaleBody } from "../../../test/helpers/giftcards.js";
import { someoneWaitsForALock } from "../../../test/helpers/last-place.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { waitFor } from "../../../test/helpers/wait.js";
import {
  createFileJob,
  downloadable,
  type FileDeps,
  getFileJob,
  runFileJob,
  saveUpload,
} from "../../platform/files/file-jobs.js";
import type { FileFormat } from "../../platform/files/files.schema.js";
import { generateCardNumber } from "./card-number.js";
import { lockGiftCardImports } from "./giftcards.files.js";

/** Bulk import of physical cards (all-or-nothing, each bad row named), and the card and activity exports. */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let files: FileDeps;
let physical: string;
const now = () => t.clock.now();

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  files = { db: t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-giftcards-")) };
  physical = await gc.activePlan({
    name: "Corporate physical card",
    card_type: "physical",
    buyer_info: { card_number: "required" },
  });
});
afterAll(async () => {
  await t?.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

async function xlsx(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("cards");
  sheet.addRow(["card_number", "plan_id", "pin", "face_amount"]);
  for (const r of rows) sheet.addRow(r); // strings: long card numbers must stay text
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function runJob(
  kind: "import" | "export",
  type: string,
  format: FileFormat,
  options: { body?: Buffer; filters?: Record<string, unknown> } = {},
) {
  const tenantId = tenant.tenantId;
  const job = await t.deps.db.tenantTx(tenantId, (trx) =>
    createFileJob(trx, tenantId, { kind, type, format, filters: options.filters, createdBy: "test" }, now()),
  );
  if (options.body) {
    const saved = await saveUpload(files.dataDir, tenantId, job.id, format, Readable.from([options.body]));
    await t.deps.db.tenantTx(tenantId, (trx) =>
      trx
        .updateTable("file_jobs")
        .set({ file_path: saved.relative, file_size: saved.size })
        .where("id", "=", job.id)
        .execute(),
    );
  }
  await runFileJob(files, tenantId, job.id, now);
  return t.deps.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
}

const importedCount = (jobId: string) =>
  t.deps.db.tenantTx(
    tenant.tenantId,
    async (trx) =>
      (await trx.selectFrom("gift_cards").select("id").where("import_job_id", "=", jobId).execute()).length,
  );

describe("importing physical cards", () => {
  it("offers a template", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/v1/import-types/gift_cards/template?format=csv",
      headers: tenant.auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body.split("\r\n")[0]).toBe("\ufeffcard_number,plan_id,pin,face_amount");
  });

  it("imports nothing when one row is bad, and names the row", async () => {
    const job = await runJob("import", "gift_cards", "xlsx", {
      body: await xlsx([
        [generateCardNumber(), physical, "11112222", "20000"],
        [generateCardNumber(), physical, "", ""],
        [generateCardNumber(), physical, "", "4999"],
      ]),
    });
    expect(job.status).toBe("failed");
    // A job that failed on an error of its own (not a row's) says which in `error`.
    expect(job.errors, String(job.error)).toEqual([
      { row: 4, column: "face_amount", message: expect.stringContaining("4999") },
    ]);
    expect(job.error).toContain("nothing was imported");
    expect(await importedCount(job.id)).toBe(0);
  });

  it("names a wrong check digit, a repeated number and a number that already exists", async () => {
    const a = generateCardNumber();
    const bad = `${a.slice(0, 15)}${(Number(a.at(-1)) + 1) % 10}`;
    const b = generateCardNumber();
    const job = await runJob("import", "gift_cards", "xlsx", {
      body: await xlsx([
        [bad, physical, "", ""],
        [b, physical, "", ""],
        [b, physical, "", ""],
      ]),
    });
    expect(job.status).toBe("failed");
    expect(job.errors).toEqual([
      { row: 2, column: "card_number", message: "has a wrong check digit" },
      { row: 4, column: "card_number", message: "repeats row 3" },
    ]);
    expect(await importedCount(job.id)).toBe(0);
  });

  it("of two imports at once naming one number, the second names the row whose card the first imported", async () => {
    const number = generateCardNumber();
    let second: ReturnType<typeof runJob> | undefined;
    // The first import, between its check of the numbers and its commit: it holds the tenant's
    // import turn and has written its card.
    await t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
      await lockGiftCardImports(trx, tenant.tenantId);
      await trx
        .insertInto("gift_cards")
        .values({
          tenant_id: tenant.tenantId,
          id: `gc_first_${number}`,
          plan_id: physical,
          number,
          card_type: "physical",
          asset: "CNY",
          status: "inactive",
          pin_hash: null,
          account_id: null,
          face_amount: null,
          paid_amount: 0,
          discount_amount: 0,
          expires_at: null,
          created_by: "test",
          created_at: now(),
          updated_at: now(),
        })
        .execute();
      second = runJob("import", "gift_cards", "xlsx", { body: await xlsx([[number, physical, "", ""]]) });
      await waitFor(() => someoneWaitsForALock(t), "the second import to wait for the first");
    });
    const job = await second!;
    expect(job.status).toBe("failed");
    expect(job.errors).toEqual([{ row: 2, column: "card_number", message: `card ${number} already exists` }]);
    expect(await importedCount(job.id)).toBe(0);
  });

  it("imports good rows as inactive stock; the POS sells them by number", async () => {
    const withPin = generateCardNumber();
    const withoutPin = generateCardNumber();
    const job = await runJob("import", "gift_cards", "xlsx", {
      body: await xlsx([
        [withPin, physical, "11112222", "20000"],
        [withoutPin, physical, "", ""],
      ]),
    });
    expect(job.status, JSON.stringify(job.errors)).toBe("succeeded");
    expect(await importedCount(job.id)).toBe(2);
    const stock = await gc.ok<{ data: { number: string; status: string; balance: number }[] }>(
      "GET",
      `/v1/gift-cards?import_job_id=${job.id}`,
    );
    expect(stock.data.map((c) => [c.status, c.balance])).toEqual([
      ["inactive", 0],
      ["inactive", 0],
    ]);
    const history = await gc.ok<{ data: { id: string }[] }>("GET", "/v1/imports?type=gift_cards");
    expect(history.data.map((j) => j.id)).toContain(job.id);
    // A stock card cannot be looked up or used before it is sold.
    expectProblem(
      await gc.call("POST", "/v1/gift-cards/lookup", { number: withPin, pin: "11112222" }),
      404,
      "gift_card_not_found",
    );

    expectProblem(
      await gc.call("POST", "/v1/gift-cards", {
        plan_id: physical,
        amount: 20000,
        payment: { method: "offline" },
      }),
      422,
      "buyer_info_required",
    );
    const sold = await gc.sell(physical, undefined, { card_number: withPin });
    expect(sold.card).toMatchObject({ number: withPin, status: "active", balance: 20000 });
    expect(sold.pin).toBeNull(); // printed on the card, imported
    const found = await gc.call("POST", "/v1/gift-cards/lookup", { number: withPin, pin: "11112222" });
    expect(found.statusCode, found.body).toBe(200);
    expectProblem(
      await gc.call("POST", "/v1/gift-cards", {
        plan_id: physical,
        card_number: withPin,
        payment: { method: "offline" },
      }),
      409,
      "gift_card_already_sold",
    );
    const other: SaleBody = await gc.sell(physical, 10000, { card_number: withoutPin });
    expect(other.pin).toMatch(/^[0-9]{8}$/);
  });
});

describe("exports", () => {
  it("exports the sold-card list with its filters, and every activity field", async () => {
    const cards = await runJob("export", "gift_cards", "csv", {
      filters: { status: "active", card_type: "physical", plan_id: physical },
    });
    expect(cards.status, cards.error ?? "").toBe("succeeded");
    const file = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      downloadable(trx, tenant.tenantId, cards.id, files.dataDir, now()),
    );
    const lines = (await readFile(file.path, "utf8")).trim().split("\r\n");
    expect(lines[0]).toContain("number,plan_id,card_type,status,asset,balance");
    expect(lines).toHaveLength(3); // the two physical cards sold above
    expect(lines.slice(1).every((l) => l.includes(",physical,active,CNY,"))).toBe(true);

    const activities = await runJob("export", "gift_card_activities", "xlsx", {
      filters: { type: ["ACTIVATE"] },
    });
    expect(activities.status, activities.error ?? "").toBe("succeeded");
    expect(activities.rows_done).toBe(2);

    const named = await runJob("export", "gift_card_activities", "csv", { filters: { type: ["ACTIVATE"] } });
    const activityFile = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      downloadable(trx, tenant.tenantId, named.id, files.dataDir, now()),
    );
    const [header, ...rows] = (await readFile(activityFile.path, "utf8")).trim().split("\r\n");
    const operator = header!.split(",").indexOf("operator_label");
    expect(operator).toBeGreaterThan(0);
    expect(rows.map((r) => r.split(",")[operator])).toEqual([
      tenant.apiKey.record.name,
      tenant.apiKey.record.name,
    ]);
  });

  it("refuses a filter it does not know, and a plan or card that is not there", async () => {
    const create = (type = "gift_cards", filters: Record<string, unknown> = { colour: "red" }) =>
      t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        createFileJob(
          trx,
          tenant.tenantId,
          {
            kind: "export",
            type,
            format: "csv",
            filters,
            createdBy: "test",
          },
          now(),
        ),
      );
    await expect(create()).rejects.toMatchObject({ code: "validation_failed" });
    await expect(create("gift_cards", { plan_id: "gcp_missing" })).rejects.toMatchObject({
      code: "gift_card_plan_not_found",
    });
    await expect(create("gift_card_activities", { card_id: "gc_missing" })).rejects.toMatchObject({
      code: "gift_card_not_found",
    });
  });
});

describe("export time filters", () => {
  const start = (type: string, filters: Record<string, string>) =>
    t.app.inject({
      method: "POST",
      url: "/v1/exports",
      headers: tenant.auth,
      payload: { type, format: "csv", filters },
    });

  it.each([
    ["gift_cards", "sold_from"],
    ["gift_cards", "expires_to"],
    ["gift_card_activities", "created_from"],
  ])("%s %s: a time the list refuses answers 400, not an export of another range", async (type, key) => {
    // "1" read as 2001, Feb 30 as 2 March; the far-past year failed the row count with a 500.
    for (const value of ["1", "2026-02-30T00:00:00Z", "-271821-04-20T00:00:00Z"]) {
      const body = expectProblem(await start(type, { [key]: value }), 400, "validation_failed") as {
        errors?: { field: string }[];
      };
      expect(
        body.errors?.map((e) => e.field),
        value,
      ).toEqual([`/body/filters/${key}`]);
    }
  });

  it("takes years 0000-9999 at either extreme of offset, as the list does, and none beyond", async () => {
    const taken: Record<string, string>[] = [
      { sold_from: "0000-01-01T00:00:00+23:59", sold_to: "9999-12-31T23:59:59.999-23:59" },
      { expires_from: "2026-11-23T10:00:00+08:00" },
    ];
    for (const filters of taken) {
      const r = await start("gift_cards", filters);
      expect(r.statusCode, r.body).toBe(202);
    }
    for (const sold_to of ["-000001-12-31T00:00:00Z", "+010000-01-01T00:00:00Z"]) {
      expectProblem(await start("gift_cards", { sold_to }), 400, "validation_failed");
      const listed = await t.app.inject({
        url: `/v1/gift-cards?sold_to=${encodeURIComponent(sold_to)}`,
        headers: tenant.auth,
      });
      expect(listed.statusCode, sold_to).toBe(400);
    }
  });
});
