import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatchEvents, emitEvent } from "../src/platform/events/outbox.js";
import { deliverDue, type Poster } from "../src/platform/events/webhooks.js";
import { postInbox, TENANT_INBOX } from "../src/platform/notify/inbox.js";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "./helpers/app.js";
import { expectProblem } from "./helpers/problem.js";
import { waitFor } from "./helpers/wait.js";
import { inflatingXlsx } from "./helpers/zip.js";

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-api-files-"));
  t = await createTestApp({ config: { webhooksAllowPrivate: false, dataDir } });
  a = await createTestTenant(t, "A");
  b = await createTestTenant(t, "B");
});
afterAll(async () => {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("webhook endpoints API", () => {
  it("creates an endpoint showing the secret once, lists, updates and deletes it", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/webhook-endpoints",
      headers: a.auth,
      payload: { url: "https://hooks.example.com/in", event_types: ["wallet.topped_up"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const endpoint = json<{ id: string; secret: string; enabled: boolean }>(created);
    expect(endpoint.secret).toMatch(/^whsec_/);
    const list = json<{ data: Record<string, unknown>[] }>(
      await t.app.inject({ url: "/v1/webhook-endpoints", headers: a.auth }),
    );
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).not.toHaveProperty("secret");
    const patched = await t.app.inject({
      method: "PATCH",
      url: `/v1/webhook-endpoints/${endpoint.id}`,
      headers: a.auth,
      payload: { event_types: ["*"], enabled: false },
    });
    expect(json(patched)).toMatchObject({ event_types: ["*"], enabled: false });
    expectProblem(
      await t.app.inject({ url: `/v1/webhook-endpoints/${endpoint.id}`, headers: b.auth }),
      404,
      "webhook_endpoint_not_found",
    );
    const deleted = await t.app.inject({
      method: "DELETE",
      url: `/v1/webhook-endpoints/${endpoint.id}`,
      headers: a.auth,
    });
    expect(deleted.statusCode).toBe(204);
  });

  it("refuses internal and non-http URLs with a problem", async () => {
    for (const url of ["http://127.0.0.1:9/x", "http://169.254.169.254/x", "gopher://example.com/x"]) {
      const response = await t.app.inject({
        method: "POST",
        url: "/v1/webhook-endpoints",
        headers: a.auth,
        payload: { url, event_types: ["*"] },
      });
      expectProblem(response, 422, "webhook_url_refused");
    }
  });

  it("refuses to re-send a delivery while it is being sent, and accepts once its attempt is recorded", async () => {
    const created = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/webhook-endpoints",
        headers: a.auth,
        payload: { url: "https://hooks.example.com/slow", event_types: ["order.refunded"] },
      }),
    );
    await t.deps.db.tenantTx(a.tenantId, (trx) =>
      emitEvent(trx, { tenantId: a.tenantId, type: "order.refunded", data: {} }, t.clock.now()),
    );
    await dispatchEvents(t.deps.db, t.clock.now());
    const deliveries = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: `/v1/webhook-endpoints/${created.id}/deliveries`, headers: a.auth }),
    );
    const id = deliveries.data[0]!.id;
    // A worker run holds the delivery on the wire until the test lets its receiver answer.
    let release = () => {};
    let started = () => {};
    const onTheWire = new Promise<void>((resolve) => {
      started = resolve;
    });
    const post: Poster = () =>
      new Promise((resolve) => {
        release = () => resolve({ status: 200, body: "ok" });
        started();
      });
    const sending = deliverDue({ db: t.deps.db, allowPrivate: true, post }, t.clock.now());
    await onTheWire;
    const resend = () =>
      t.app.inject({ method: "POST", url: `/v1/webhook-deliveries/${id}/resend`, headers: a.auth });
    expectProblem(await resend(), 409, "webhook_delivery_in_flight");
    release();
    await sending;
    const accepted = await resend();
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json(accepted)).toMatchObject({ id, status: "pending", attempts: 1 });
    await t.app.inject({ method: "DELETE", url: `/v1/webhook-endpoints/${created.id}`, headers: a.auth });
  });

  it("is not for viewers nor for keys bound to an org unit", async () => {
    const viewer = await createTestKey(t, a.tenantId, "viewer");
    expectProblem(
      await t.app.inject({ url: "/v1/webhook-endpoints", headers: viewer.auth }),
      403,
      "forbidden",
    );
    const scoped = await createTestKey(t, a.tenantId, "owner", a.rootOrgUnitId);
    expectProblem(await t.app.inject({ url: "/v1/events", headers: scoped.auth }), 403, "forbidden");
  });
});

describe("events API", () => {
  it("lists the tenant's events newest first, filtered by type, with cursor pages", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await t.deps.db.tenantTx(a.tenantId, (trx) =>
          emitEvent(trx, { tenantId: a.tenantId, type: "voucher.issued", data: { n: i } }, t.clock.now()),
        ),
      );
    }
    await t.deps.db.tenantTx(a.tenantId, (trx) =>
      emitEvent(trx, { tenantId: a.tenantId, type: "member.created", data: {} }, t.clock.now()),
    );
    const page1 = json<{ data: { id: string; data: { n: number } }[]; has_more: boolean }>(
      await t.app.inject({ url: "/v1/events?type=voucher.issued&limit=2", headers: a.auth }),
    );
    expect(page1.data.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(page1.has_more).toBe(true);
    const page2 = json<{ data: { id: string }[]; has_more: boolean }>(
      await t.app.inject({
        url: `/v1/events?type=voucher.issued&limit=2&starting_after=${page1.data[1]!.id}`,
        headers: a.auth,
      }),
    );
    expect(page2).toMatchObject({ data: [{ id: ids[0] }], has_more: false });
    const other = json<{ data: unknown[] }>(await t.app.inject({ url: "/v1/events", headers: b.auth }));
    expect(other.data).toEqual([]);
  });
});

describe("inbox API", () => {
  it("lists messages, counts unread and marks them read", async () => {
    await t.deps.db.tenantTx(a.tenantId, async (trx) => {
      for (const title of ["one", "two"]) {
        await postInbox(
          trx,
          {
            tenantId: a.tenantId,
            recipient: TENANT_INBOX,
            noticeType: "file_job.finished",
            title,
            body: title,
          },
          t.clock.now(),
        );
      }
    });
    const count = () =>
      t.app
        .inject({ url: "/v1/inbox/unread-count", headers: a.auth })
        .then((r) => json<{ unread: number }>(r).unread);
    expect(await count()).toBe(2);
    const list = json<{ data: { id: string; title: string; read: boolean }[] }>(
      await t.app.inject({ url: "/v1/inbox", headers: a.auth }),
    );
    expect(list.data.map((m) => [m.title, m.read])).toEqual([
      ["two", false],
      ["one", false],
    ]);
    const marked = await t.app.inject({
      method: "POST",
      url: "/v1/inbox/read",
      headers: a.auth,
      payload: { ids: [list.data[0]!.id] },
    });
    expect(json(marked)).toEqual({ marked: 1 });
    expect(await count()).toBe(1);
    expect(
      json<{ unread: number }>(await t.app.inject({ url: "/v1/inbox/unread-count", headers: b.auth })),
    ).toEqual({
      unread: 0,
    });
  });

  it("lets managers override a notice template per locale and channel", async () => {
    const put = await t.app.inject({
      method: "PUT",
      url: "/v1/notification-templates/deposit.balance_low/en/email",
      headers: a.auth,
      payload: { subject: "Low: {{account_name}}", body: "Top up {{account_name}}" },
    });
    expect(put.statusCode, put.body).toBe(200);
    const list = json<{
      data: { notice_type: string; locale: string; channel: string; customized: boolean; cap: unknown }[];
    }>(await t.app.inject({ url: "/v1/notification-templates", headers: a.auth }));
    const low = list.data.filter((x) => x.notice_type === "deposit.balance_low");
    expect(low.filter((x) => x.customized).map((x) => [x.locale, x.channel])).toEqual([["en", "email"]]);
    expect(low[0]!.cap).toEqual({ max: 4, window: "day" });
  });
});

describe("imports and exports API", () => {
  it("exports the audit log in the background and downloads it only within the tenant", async () => {
    const started = await t.app.inject({
      method: "POST",
      url: "/v1/exports",
      headers: a.auth,
      payload: { type: "audit_events", format: "csv" },
    });
    expect(started.statusCode, started.body).toBe(202);
    const { id } = json<{ id: string }>(started);
    const done = await waitFor(async () => {
      const job = json<{
        status: string;
        progress: { percent: number };
        file: { download_url: string } | null;
      }>(await t.app.inject({ url: `/v1/exports/${id}`, headers: a.auth }));
      return job.status === "succeeded" || job.status === "failed" ? job : undefined;
    }, "export to finish");
    expect(done).toMatchObject({ status: "succeeded", progress: { percent: 100 } });
    const download = await t.app.inject({ url: done.file!.download_url, headers: a.auth });
    expect(download.statusCode).toBe(200);
    expect(download.headers["content-type"]).toContain("text/csv");
    expect(download.body).toContain("webhook_endpoint.created");
    expectProblem(
      await t.app.inject({ url: done.file!.download_url, headers: b.auth }),
      404,
      "file_job_not_found",
    );
    const history = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: "/v1/exports", headers: a.auth }),
    );
    expect(history.data.map((j) => j.id)).toEqual([id]);
    const viewer = await createTestKey(t, a.tenantId, "viewer");
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/exports",
        headers: viewer.auth,
        payload: { type: "audit_events", format: "xlsx" },
      }),
      403,
      "forbidden",
    );
  });

  it("imports org units from an uploaded CSV, reporting row errors and writing nothing when one is wrong", async () => {
    const upload = (csv: string, mode = "all_or_nothing") =>
      t.app.inject({
        method: "POST",
        url: `/v1/imports?type=org_units&mode=${mode}`,
        headers: { ...a.auth, "content-type": "text/csv" },
        payload: csv,
      });
    const finished = async (id: string) =>
      waitFor(async () => {
        const job = json<{ status: string; errors: unknown[]; progress: { rows_done: number } }>(
          await t.app.inject({ url: `/v1/imports/${id}`, headers: a.auth }),
        );
        return job.status === "succeeded" || job.status === "failed" ? job : undefined;
      }, "import to finish");

    const bad = await upload("code,name,kind,parent_code\nN1,North,distributor,\nN1-1,,store,N1\n");
    expect(bad.statusCode, bad.body).toBe(202);
    const failed = await finished(json<{ id: string }>(bad).id);
    expect(failed).toMatchObject({
      status: "failed",
      errors: [{ row: 3, column: "name" }],
      progress: { rows_done: 0 },
    });
    const units = () =>
      t.app
        .inject({ url: "/v1/org-units?limit=100", headers: a.auth })
        .then((r) => json<{ data: { code: string | null }[] }>(r));
    expect((await units()).data.filter((u) => u.code === "N1")).toEqual([]);

    const good = await upload("code,name,kind,parent_code\nN1,North,distributor,\nN1-1,North One,store,N1\n");
    expect(await finished(json<{ id: string }>(good).id)).toMatchObject({
      status: "succeeded",
      progress: { rows_done: 2 },
    });
    expect((await units()).data.filter((u) => u.code?.startsWith("N1")).length).toBe(2);

    const template = await t.app.inject({
      url: "/v1/import-types/org_units/template?format=csv",
      headers: a.auth,
    });
    expect(template.statusCode).toBe(200);
    expect(template.body).toContain("code,name,kind,parent_code");
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/imports?type=org_units",
        headers: a.auth,
        payload: { a: 1 },
      }),
      415,
      "unsupported_media_type",
    );
  });
});

describe("xlsx uploads", () => {
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  const upload = (payload: Buffer) =>
    t.app.inject({
      method: "POST",
      url: "/v1/imports?type=org_units",
      headers: { ...a.auth, "content-type": XLSX },
      payload,
    });

  it("refuses a small upload that unpacks past 64 MiB, and one that is no workbook at all", async () => {
    const bomb = await inflatingXlsx(["code", "name", "kind"], 64 * 1024 * 1024);
    expectProblem(await upload(bomb), 422, "file_too_large");
    expectProblem(await upload(Buffer.from("code,name,kind\nA,B,store\n")), 422, "invalid_file");
  });
});

describe("jobs API", () => {
  it("lists failed jobs even where no job runner runs (none yet) and refuses an unknown retry", async () => {
    const list = await t.app.inject({ url: "/v1/jobs/failed", headers: a.auth });
    expect(json(list)).toEqual({ object: "list", data: [], has_more: false });
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/jobs/00000000-0000-0000-0000-000000000000/retry",
        headers: a.auth,
      }),
      404,
      "job_not_found",
    );
  });
});
