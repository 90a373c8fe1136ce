import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { giftCardTenant, type SaleBody } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { recordAudit } from "../audit/audit.js";
import { systemActor } from "../auth/actor.js";
import { fileDeps } from "../jobs/worker.js";
import { AUDIT_EXPORT } from "./builtin.js";
import { createFileJob, runFileJob } from "./file-jobs.js";
import { registerExport } from "./registry.js";

/** Small enough to pass with a handful of rows; the default (1,000,000) is stated in the README. */
const MAX_ROWS = 5;

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp({ config: { exportMaxRows: MAX_ROWS } });
  tenant = await createTestTenant(t);
  await t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    for (let i = 0; i < 8; i++) {
      await recordAudit(
        trx,
        systemActor(tenant.tenantId, "seed"),
        { action: i < 3 ? "member.created" : "voucher.issued", targetType: "x", targetId: `x_${i}` },
        t.clock.now(),
      );
    }
  });
});
afterAll(async () => t?.close());

const start = (
  type: string,
  format: "csv" | "xlsx",
  filters: Record<string, string> = {},
  auth: Record<string, string> = tenant.auth,
) =>
  t.app.inject({
    method: "POST",
    url: "/v1/exports",
    headers: auth,
    payload: { type, format, filters },
  });

interface Job {
  id: string;
  status: string;
  error: string | null;
  error_code: string | null;
  progress: { rows_done: number };
  file: unknown;
}

const finished = (id: string, auth: Record<string, string> = tenant.auth) =>
  waitFor(async () => {
    const job = json<Job>(await t.app.inject({ url: `/v1/exports/${id}`, headers: auth }));
    return job.status === "succeeded" || job.status === "failed" ? job : undefined;
  }, "the export to finish");

const jobCount = async (tenantId = tenant.tenantId) =>
  (await t.database.owner.selectFrom("file_jobs").select("id").where("tenant_id", "=", tenantId).execute())
    .length;

describe("an export has a stated maximum of rows", () => {
  it("is refused when requested if it counts more rows than the limit, writing no job", async () => {
    const before = await jobCount();
    for (const format of ["csv", "xlsx"] as const) {
      const body = expectProblem(await start("audit_events", format), 422, "export_too_large");
      expect(body.detail).toContain(`${MAX_ROWS}`);
      expect(body.detail).toMatch(/narrow/i);
    }
    expect(await jobCount()).toBe(before);

    // Narrowed by its filters it fits, and runs.
    const ok = await start("audit_events", "csv", { action: "member.created" });
    expect(ok.statusCode, ok.body).toBe(202);
    const done = await finished(json<Job>(ok).id);
    expect(done).toMatchObject({ status: "succeeded", error_code: null, progress: { rows_done: 3 } });
  });

  it("counts an account statement when requested: refused over the limit, exported in full at it", async () => {
    const wallet = await walletWith(MAX_ROWS);

    const atLimit = await start("account_statement", "csv", { account_id: wallet });
    expect(atLimit.statusCode, atLimit.body).toBe(202);
    expect(await finished(json<Job>(atLimit).id)).toMatchObject({
      status: "succeeded",
      progress: { rows_done: MAX_ROWS },
    });

    expect((await transfer(wallet, 9_900)).ok).toBe(true);
    const before = await jobCount();
    for (const format of ["csv", "xlsx"] as const) {
      const body = expectProblem(
        await start("account_statement", format, { account_id: wallet }),
        422,
        "export_too_large",
      );
      expect(body.detail).toContain(`${MAX_ROWS + 1}`);
    }
    expect(await jobCount()).toBe(before);
  });

  it("fails an export that grew past the limit after it was requested, leaving no file", async () => {
    const wallet = await walletWith(MAX_ROWS);
    const files = fileDeps(t.deps);
    const job = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      createFileJob(
        trx,
        tenant.tenantId,
        {
          kind: "export",
          type: "account_statement",
          format: "xlsx",
          filters: { account_id: wallet },
          createdBy: "test",
        },
        t.clock.now(),
        { maxExportRows: MAX_ROWS },
      ),
    );
    expect((await transfer(wallet, 9_900)).ok).toBe(true);
    await runFileJob(files, tenant.tenantId, job.id, () => t.clock.now());

    const failed = await finished(job.id);
    expect(failed).toMatchObject({ status: "failed", error_code: "export_too_large", file: null });
    expect(failed.error).toContain(`${MAX_ROWS}`);
    expect(failed.error).toMatch(/narrow/i);
    expectProblem(
      await t.app.inject({ url: `/v1/exports/${failed.id}/download`, headers: tenant.auth }),
      409,
      "file_not_ready",
    );
    // Nothing of the stopped file is left behind.
    const left = await readdir(path.join(t.config.dataDir, "files", tenant.tenantId));
    expect(left.filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("counts gift cards and their activities when requested", async () => {
    const { tenant: shop, gc } = await giftCardTenant(t);
    const plan = await gc.activePlan();
    const sold: SaleBody[] = [];
    for (let i = 0; i <= MAX_ROWS; i++) sold.push(await gc.sell(plan, 10000));

    for (const type of ["gift_cards", "gift_card_activities"]) {
      const body = expectProblem(await start(type, "csv", {}, shop.auth), 422, "export_too_large");
      expect(body.detail).toContain(`${MAX_ROWS + 1}`);
    }
    expect(await jobCount(shop.tenantId)).toBe(0);

    // One card fits, and is written.
    const card = sold[0]!.card;
    for (const [type, filters] of [
      ["gift_cards", { number: card.number }],
      ["gift_card_activities", { card_id: card.id }],
    ] as const) {
      const ok = await start(type, "csv", filters, shop.auth);
      expect(ok.statusCode, ok.body).toBe(202);
      expect(await finished(json<Job>(ok).id, shop.auth)).toMatchObject({
        status: "succeeded",
        progress: { rows_done: 1 },
      });
    }
  });
});

describe("a kind of export with its own, lower maximum", () => {
  // The audit log under two test names, held to 3 rows: one that counts, one that cannot.
  beforeAll(() => {
    registerExport({ ...AUDIT_EXPORT, type: "audit_events_of_three", maxRows: 3 });
    registerExport({
      ...AUDIT_EXPORT,
      type: "audit_events_of_three_uncounted",
      maxRows: 3,
      count: undefined,
    });
  });

  it("is refused past its own maximum, below the deployment's, and never cut short", async () => {
    const body = expectProblem(await start("audit_events_of_three", "csv"), 422, "export_too_large");
    expect(body.detail).toContain("at most 3");
    const fits = await start("audit_events_of_three", "csv", { action: "member.created" });
    expect(fits.statusCode, fits.body).toBe(202);
    expect(await finished(json<Job>(fits).id)).toMatchObject({
      status: "succeeded",
      progress: { rows_done: 3 },
    });

    // One that cannot count stops before writing past its maximum and fails: no file of 3 of 8 rows.
    const uncounted = await start("audit_events_of_three_uncounted", "csv");
    expect(uncounted.statusCode, uncounted.body).toBe(202);
    const failed = await finished(json<Job>(uncounted).id);
    expect(failed).toMatchObject({ status: "failed", error_code: "export_too_large", file: null });
    expect(failed.error).toContain("at most 3");
  });
});

/** A new member wallet funded by `entries` transfers (one statement entry each). */
async function walletWith(entries: number): Promise<string> {
  const [cash, wallet] = await t.deps.ledger.run(tenant.tenantId, async (uow) => {
    const a = await uow.createAccount({ asset: "CNY", kind: "cash" });
    const b = await uow.createAccount({ asset: "CNY", kind: "member_principal" });
    if (!a.ok || !b.ok) throw new Error("accounts not created");
    return [a.account, b.account];
  });
  cashOf.set(wallet.id, cash.id);
  for (let i = 1; i <= entries; i++) expect((await transfer(wallet.id, i * 100)).ok).toBe(true);
  return wallet.id;
}

const cashOf = new Map<string, string>();
const transfer = (wallet: string, amount: number) =>
  t.deps.ledger.run(tenant.tenantId, (uow) =>
    uow.transfer({ debit_account_id: cashOf.get(wallet)!, credit_account_id: wallet, amount, code: "topup" }),
  );
