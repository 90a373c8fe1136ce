import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { exportedRows } from "../../../test/helpers/exports.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import type { FileDeps } from "../../platform/files/file-jobs.js";
import { signTestWebhook, testProviderSecret } from "./payment-providers.js";

/** Seed 004: "管理员可以…查看充值订单记录": the online top-up orders across members. */
let t: TestApp;
let tenant: TestTenant;
let files: FileDeps;
let key = 0;
interface Item {
  id: string;
  member_id: string;
  member_name: string;
  amount: number;
  provider: string;
  status: string;
  created_at: string;
}
type Page = { data: Item[]; has_more: boolean };

const post = (url: string, payload: object, headers = tenant.auth) =>
  t.app.inject({ method: "POST", url, headers: { ...headers, "idempotency-key": `k-${++key}` }, payload });
const list = async (q: string, headers = tenant.auth) => {
  const res = await t.app.inject({ url: `/v1/topup-intents?${q}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return json<Page>(res);
};

async function confirm(intent: Item, status: "succeeded" | "failed") {
  const row = await t.database.owner
    .selectFrom("wallet_topup_intents")
    .select("provider_ref")
    .where("id", "=", intent.id)
    .executeTakeFirstOrThrow();
  const body = {
    id: `evt_${++key}`,
    provider_ref: row.provider_ref,
    status,
    amount: intent.amount,
    currency: "CNY",
  };
  const signed = signTestWebhook(testProviderSecret(t.config.signingSecret), body, t.clock.now());
  const res = await t.app.inject({
    method: "POST",
    url: `/v1/payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
  expect(res.statusCode, res.body).toBe(200);
}

let wang: string;
let li: string;
const made: Item[] = [];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  files = { db: t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-intents-")) };
  wang = json<{ id: string }>(await post("/v1/members", { name: "Wang Fang" })).id;
  li = json<{ id: string }>(await post("/v1/members", { name: "Li Lei" })).id;
  // 100.00 paid, 200.00 failed and 50.00 pending, 20 minutes apart (08:00, 08:20, 08:40 UTC).
  for (const [member, amount, outcome] of [
    [wang, 10000, "succeeded"],
    [li, 20000, "failed"],
    [wang, 5000, null],
  ] as const) {
    const res = await post(`/v1/members/${member}/topup-intents`, { amount });
    expect(res.statusCode, res.body).toBe(201);
    made.push(json<Item>(res));
    if (outcome) await confirm(made.at(-1)!, outcome);
    t.clock.advanceMinutes(20);
  }
});
afterAll(async () => {
  await t?.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

describe("online top-up orders", () => {
  it("lists every member's intents newest first with status, amount, provider, member and time", async () => {
    const all = await list("");
    expect(all.data.map((i) => [i.member_name, i.amount, i.provider, i.status])).toEqual([
      ["Wang Fang", 5000, "test", "pending"],
      ["Li Lei", 20000, "test", "failed"],
      ["Wang Fang", 10000, "test", "succeeded"],
    ]);
    expect(all.data[2]!.created_at).toBe("2026-11-23T08:00:00.000Z");
  });

  it("filters by status, provider, member and time range, and pages by cursor", async () => {
    expect((await list("status=succeeded")).data.map((i) => i.id)).toEqual([made[0]!.id]);
    expect((await list(`member_id=${wang}`)).data.map((i) => i.amount)).toEqual([5000, 10000]);
    expect((await list("provider=alipay")).data).toEqual([]);
    expect(
      (await list("created_from=2026-11-23T08:10:00Z&created_to=2026-11-23T08:30:00Z")).data.map((i) => i.id),
    ).toEqual([made[1]!.id]);
    const first = await list("limit=2");
    expect(first.has_more).toBe(true);
    const second = await list(`limit=2&starting_after=${first.data[1]!.id}`);
    expect(second).toMatchObject({ has_more: false, data: [{ id: made[0]!.id }] });
  });

  it("refuses bad filters and pages above 100", async () => {
    for (const q of [
      "limit=101",
      "status=paid",
      "created_from=yesterday",
      "created_from=2026-11-24T00:00:00Z&created_to=2026-11-23T00:00:00Z",
    ]) {
      expectProblem(
        await t.app.inject({ url: `/v1/topup-intents?${q}`, headers: tenant.auth }),
        400,
        "validation_failed",
      );
    }
  });

  it("staff bound to a store see the intents of its members only", async () => {
    const root = await t.database.owner
      .selectFrom("org_units")
      .select(["id", "path"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("parent_id", "is", null)
      .executeTakeFirstOrThrow();
    const store = await createTestOrgUnit(t, tenant.tenantId, root, "store", "North store");
    const clerk = await createTestKey(t, tenant.tenantId, "operator", store.id);
    expect((await list("", clerk.auth)).data).toEqual([]);
  });

  it("exports the filtered list as the topup_intents export", async () => {
    expectProblem(
      await post("/v1/exports", { type: "topup_intents", format: "csv", filters: { status: "paid" } }),
      400,
      "validation_failed",
    );
    const tenantId = tenant.tenantId;
    const rows = await exportedRows(t, files, tenantId, "topup_intents", { member_id: wang });
    expect(rows.map((r) => [r.member_name, r.amount, r.asset, r.provider, r.status])).toEqual([
      ["Wang Fang", "10000", "CNY", "test", "succeeded"],
      ["Wang Fang", "5000", "CNY", "test", "pending"],
    ]);
  });
});

describe("the topup_intents export's time filters", () => {
  it("refuses each time the list refuses, so the export never covers another range", async () => {
    // Feb 30 passed the export's own check and was read as 2 March.
    for (const value of ["2026-02-30T00:00:00Z", "2026-11-23", "-271821-04-20T00:00:00Z"]) {
      expectProblem(
        await t.app.inject({
          url: `/v1/topup-intents?created_from=${encodeURIComponent(value)}`,
          headers: tenant.auth,
        }),
        400,
        "validation_failed",
      );
      for (const key of ["created_from", "created_to"]) {
        const body = expectProblem(
          await post("/v1/exports", { type: "topup_intents", format: "csv", filters: { [key]: value } }),
          400,
          "validation_failed",
        ) as { errors?: { field: string }[] };
        expect(
          body.errors?.map((e) => e.field),
          value,
        ).toEqual([`/body/filters/${key}`]);
      }
    }
  });
});
