import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { createAsset } from "../../ledger/index.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const start = (type: string, filters: Record<string, string>) =>
  t.app.inject({
    method: "POST",
    url: "/v1/exports",
    headers: tenant.auth,
    payload: { type, format: "csv", filters },
  });

describe("export filters are checked when the export is requested", () => {
  it("refuses a time that is no time, and a filter the export does not know, writing no job", async () => {
    const refused = [
      [await start("audit_events", { created_gte: "nonsense" }), "/body/filters/created_gte"],
      [await start("audit_events", { created_lt: "2026-13-45T99:00:00Z" }), "/body/filters/created_lt"],
      // A misspelt filter would otherwise export the whole log.
      [await start("audit_events", { created_after: "2026-11-01T00:00:00Z" }), "/body/filters/created_after"],
      [
        await start("account_statement", { account_id: "acc_1", created_lt: "yesterday" }),
        "/body/filters/created_lt",
      ],
    ] as const;
    for (const [response, field] of refused) {
      const body = expectProblem(response, 400, "validation_failed") as { errors?: { field: string }[] };
      expect(body.errors?.map((e) => e.field)).toEqual([field]);
    }
    const jobs = await t.database.owner
      .selectFrom("file_jobs")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(jobs).toEqual([]);
    const ok = await start("audit_events", {
      action: "user.created",
      created_gte: "2026-11-01T00:00:00Z",
      created_lt: "2026-12-01T00:00:00+08:00",
    });
    expect(ok.statusCode, ok.body).toBe(202);
  });
});

describe("export time filters are read as the list routes read a time", () => {
  it("refuses a day the calendar lacks, a bare number and a year PostgreSQL cannot hold", async () => {
    // Feb 30 passed the export's own check and was read as 2 March.
    for (const value of ["2026-02-30T00:00:00Z", "1", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z"]) {
      for (const [response, field] of [
        [await start("audit_events", { created_gte: value }), "/body/filters/created_gte"],
        [
          await start("account_statement", { account_id: "acc_1", created_lt: value }),
          "/body/filters/created_lt",
        ],
      ] as const) {
        const body = expectProblem(response, 400, "validation_failed") as { errors?: { field: string }[] };
        expect(
          body.errors?.map((e) => e.field),
          value,
        ).toEqual([field]);
      }
    }
    const listed = await t.app.inject({
      url: "/v1/audit-events?created_gte=2026-02-30T00:00:00Z",
      headers: tenant.auth,
    });
    expect(listed.statusCode).toBe(400);
  });
});

describe("an export of one account that does not exist", () => {
  it.each([
    ["account_statement", "account_not_found"],
    ["deposit_account_ledger", "deposit_account_not_found"],
    ["deposit_account_transactions", "deposit_account_not_found"],
  ])("%s answers 404 %s when requested and queues no job", async (type, code) => {
    const before = await t.database.owner
      .selectFrom("file_jobs")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expectProblem(await start(type, { account_id: "acc_00000000000000000000000000" }), 404, code);
    const after = await t.database.owner
      .selectFrom("file_jobs")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(after).toEqual(before);
  });

  it("another tenant's account is as missing as one that never was", async () => {
    const other = await createTestTenant(t, "Other");
    await t.deps.db.tenantTx(other.tenantId, (trx) =>
      createAsset(trx, other.tenantId, { code: "XTS", scale: 2, symbol: "X", name: "Test" }, t.clock.now()),
    );
    const account = await t.deps.ledger.run(other.tenantId, async (uow) => {
      const created = await uow.createAccount({ asset: "XTS", kind: "cash" });
      if (!created.ok) throw new Error("account not created");
      return created.account;
    });
    const theirs = await t.app.inject({
      method: "POST",
      url: "/v1/exports",
      headers: other.auth,
      payload: { type: "account_statement", format: "csv", filters: { account_id: account.id } },
    });
    expect(theirs.statusCode, theirs.body).toBe(202);
    expectProblem(await start("account_statement", { account_id: account.id }), 404, "account_not_found");
  });
});
