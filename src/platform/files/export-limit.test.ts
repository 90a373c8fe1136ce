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
import { expectProblem } from "../../../test/helpers/problem.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { recordAudit } from "../audit/audit.js";
import { systemActor } from "../auth/actor.js";

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

const start = (type: string, format: "csv" | "xlsx", filters: Record<string, string> = {}) =>
  t.app.inject({
    method: "POST",
    url: "/v1/exports",
    headers: tenant.auth,
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

const finished = (id: string) =>
  waitFor(async () => {
    const job = json<Job>(await t.app.inject({ url: `/v1/exports/${id}`, headers: tenant.auth }));
    return job.status === "succeeded" || job.status === "failed" ? job : undefined;
  }, "the export to finish");

const jobCount = async () =>
  (
    await t.database.owner
      .selectFrom("file_jobs")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute()
  ).length;

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

  it("stops an export that cannot count its rows at the limit and fails it with export_too_large", async () => {
    const { ledger } = t.deps;
    const [cash, wallet] = await ledger.run(tenant.tenantId, async (uow) => {
      const a = await uow.createAccount({ asset: "CNY", kind: "cash" });
      const b = await uow.createAccount({ asset: "CNY", kind: "member_principal" });
      if (!a.ok || !b.ok) throw new Error("accounts not created");
      return [a.account, b.account];
    });
    const transfer = (amount: number) =>
      ledger.run(tenant.tenantId, (uow) =>
        uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount, code: "topup" }),
      );
    for (let i = 1; i <= MAX_ROWS; i++) expect((await transfer(i * 100)).ok).toBe(true);

    // At the limit exactly: exported in full.
    const atLimit = await start("account_statement", "csv", { account_id: wallet.id });
    expect(atLimit.statusCode, atLimit.body).toBe(202);
    expect(await finished(json<Job>(atLimit).id)).toMatchObject({
      status: "succeeded",
      progress: { rows_done: MAX_ROWS },
    });

    expect((await transfer(9_900)).ok).toBe(true);
    for (const format of ["csv", "xlsx"] as const) {
      const started = await start("account_statement", format, { account_id: wallet.id });
      expect(started.statusCode, started.body).toBe(202);
      const failed = await finished(json<Job>(started).id);
      expect(failed).toMatchObject({ status: "failed", error_code: "export_too_large", file: null });
      expect(failed.error).toContain(`${MAX_ROWS}`);
      expect(failed.error).toMatch(/narrow/i);
      expectProblem(
        await t.app.inject({ url: `/v1/exports/${failed.id}/download`, headers: tenant.auth }),
        409,
        "file_not_ready",
      );
    }
    // Nothing of the stopped files is left behind.
    const files = await readdir(path.join(t.config.dataDir, "files", tenant.tenantId));
    expect(files.filter((f) => f.endsWith(".part"))).toEqual([]);
  });
});
