import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  activeAccount,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  type Merchant,
  ok,
} from "../../../test/helpers/deposits.js";

let t: TestApp;
let w: DepositWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
});
afterAll(async () => t?.close());

const DAY = 86_400_000;

async function settle(id: string, order: string, amount: number) {
  ok(
    await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, { order_id: order, amount }),
    201,
  );
  ok(await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/orders/${order}/settle`, {}));
}

async function verifiedProfile(m: Merchant, id: string) {
  const base = `/v1/deposit-accounts/${id}/invoice-profile`;
  const draft = ok<{ company_name: string; tax_rate_bps: number; status: string }>(
    await call(w, m.auth, "PUT", base, { company_address: "1 Jianguo Rd, Beijing" }),
  );
  expect(draft).toMatchObject({ company_name: m.company, tax_rate_bps: 600, status: "draft" });
  expectCode(await call(w, m.auth, "POST", `${base}/submit`, {}), 422, "profile_incomplete");
  ok(
    await call(w, m.auth, "PUT", base, {
      company_phone: "010-12345678",
      bank_name: "ICBC Chaoyang",
      bank_account: "6222 0000 1111",
      tax_id: "91110000MA01ABCD2X",
    }),
  );
  expect(ok<{ status: string }>(await call(w, m.auth, "POST", `${base}/submit`, {})).status).toBe(
    "verifying",
  );
  expectCode(await call(w, m.auth, "POST", `${base}/verify`, {}), 403, "forbidden");
  expectCode(await call(w, w.finance, "POST", `${base}/reject`, {}), 400, "validation_failed");
  expect(
    ok<{ status: string; reject_reason: string }>(
      await call(w, w.finance, "POST", `${base}/reject`, { reason: "tax id unreadable" }),
    ),
  ).toMatchObject({ status: "rejected", reject_reason: "tax id unreadable" });
  ok(await call(w, m.auth, "POST", `${base}/submit`, {}));
  expect(ok<{ status: string }>(await call(w, w.finance, "POST", `${base}/verify`, {})).status).toBe(
    "verified",
  );
}

describe("invoicing", () => {
  it("keeps at most 3 mailing addresses", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m);
    const add = (n: number) =>
      call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/mail-addresses`, {
        recipient: `R${n}`,
        phone: "13800138000",
        address: `${n} Main St`,
      });
    const first = ok<{ id: string }>(await add(1), 201);
    ok(await add(2), 201);
    ok(await add(3), 201);
    expectCode(await add(4), 422, "too_many_addresses");
    const removed = await call(w, m.auth, "DELETE", `/v1/deposit-accounts/${id}/mail-addresses/${first.id}`);
    expect(removed.statusCode).toBe(204);
    ok(await add(4), 201);
    const list = ok<{ data: { recipient: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/mail-addresses`),
    );
    expect(list.data.map((a) => a.recipient)).toEqual(["R2", "R3", "R4"]);
  });

  it("invoices settlements 15 days old once, only with a verified qualification and a net greater than 100.00", async () => {
    t.clock.set("2026-11-23T08:00:00Z");
    const day0 = t.clock.now().getTime();
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 1_000_000);
    await settle(id, "O1", 6_000);
    await settle(id, "O2", 5_000);
    t.clock.set(new Date(day0 + DAY));
    await settle(id, "O3", 500);
    ok(
      await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/orders/O2/refund`, { amount: 1_500 }),
    );

    const address = ok<{ id: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/mail-addresses`, {
        recipient: "Finance dept",
        phone: "010-12345678",
        address: "1 Jianguo Rd, Beijing",
      }),
      201,
    );
    const requestInvoice = (body: Record<string, unknown> = {}) =>
      call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/invoice-requests`, {
        address_id: address.id,
        ...body,
      });
    const candidates = async (query = "") =>
      ok<{ count: number; net_amount: number; allowed: boolean; profile: unknown; addresses: unknown[] }>(
        await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/invoice-candidates${query}`),
      );

    t.clock.set(new Date(day0 + 16 * DAY));
    expectCode(await requestInvoice(), 409, "profile_not_verified");
    await verifiedProfile(m, id);

    // 15 days after the first settlements, less one second: nothing yet.
    t.clock.set(new Date(day0 + 15 * DAY - 1_000));
    expect((await candidates()).count).toBe(0);
    expectCode(await requestInvoice(), 422, "no_invoice_candidates");
    // At 15 days: O1 and O2 (net 11,000); the day-1 settlement and refund are not old enough.
    t.clock.set(new Date(day0 + 15 * DAY));
    expect(await candidates()).toMatchObject({ count: 2, net_amount: 11_000, allowed: true });
    // Filtering by type: refunds alone net below the minimum.
    t.clock.set(new Date(day0 + 16 * DAY));
    expectCode(await requestInvoice({ type: "settled_refund" }), 422, "invoice_below_minimum");
    // All four: 6,000 + 5,000 + 500 − 1,500 = 10,000 = 100.00 exactly: not greater than 100.00.
    expect(await candidates()).toMatchObject({
      count: 4,
      net_amount: 10_000,
      min_net_amount: 10_000,
      allowed: false,
    });
    expectCode(await requestInvoice(), 422, "invoice_below_minimum");
    // The amount is a tenant setting: at 99.99 the same 100.00 qualifies.
    ok(await call(w, w.tenant.auth, "PATCH", "/v1/deposit-settings", { invoice_min_net_amount: 9_999 }));
    expect(await candidates()).toMatchObject({ net_amount: 10_000, allowed: true });

    const first = ok<{ id: string; status: string; net_amount: number; entry_count: number }>(
      await requestInvoice(),
      201,
    );
    expect(first).toMatchObject({ status: "requested", net_amount: 10_000, entry_count: 4 });
    // A transaction is invoiced at most once.
    expect((await candidates()).count).toBe(0);
    expectCode(await requestInvoice(), 422, "no_invoice_candidates");
    // Rejected: its transactions become candidates again.
    expectCode(
      await call(w, w.finance, "POST", `/v1/deposit-invoice-requests/${first.id}/mail`, {
        tracking_number: "SF1",
      }),
      409,
      "invoice_state",
    );
    ok(
      await call(w, w.finance, "POST", `/v1/deposit-invoice-requests/${first.id}/reject`, {
        reason: "wrong address",
      }),
    );
    expect((await candidates()).count).toBe(4);
    const second = ok<{ id: string }>(await requestInvoice(), 201);
    expectCode(
      await call(w, w.finance, "POST", `/v1/deposit-invoice-requests/${second.id}/issue`, {}),
      400,
      "validation_failed",
    );
    expect(
      ok<{ status: string; invoice_number: string }>(
        await call(w, w.finance, "POST", `/v1/deposit-invoice-requests/${second.id}/issue`, {
          invoice_number: "INV-0001",
        }),
      ),
    ).toMatchObject({ status: "issued", invoice_number: "INV-0001" });
    expect(
      ok<{ status: string; tracking_number: string }>(
        await call(w, w.finance, "POST", `/v1/deposit-invoice-requests/${second.id}/mail`, {
          tracking_number: "SF123456",
        }),
      ),
    ).toMatchObject({ status: "mailed", tracking_number: "SF123456" });
    const requests = ok<{ data: { status: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/invoice-requests`),
    );
    expect(requests.data.map((r) => r.status)).toEqual(["mailed", "rejected"]);
    ok(await call(w, w.tenant.auth, "PATCH", "/v1/deposit-settings", { invoice_min_net_amount: 10_000 }));
  });

  it("never calls allowed what the request refuses: beyond 10,000 candidates, exact totals and not allowed", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m);
    await verifiedProfile(m, id);
    const address = ok<{ id: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/mail-addresses`, {
        recipient: "Finance dept",
        phone: "010-12345678",
        address: "1 Jianguo Rd, Beijing",
      }),
      201,
    );
    // 10,005 settlements of 1.00, a second apart, 30 days old: as many as years of small orders.
    const first = t.clock.now().getTime() - 30 * DAY;
    await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      sql`insert into deposit_entries (tenant_id, id, account_id, type, amount, order_id, created_at)
        select ${w.tenant.tenantId}, 'den_bulk_' || ${id} || '_' || lpad(n::text, 5, '0'), ${id}, 'settle', 100,
          'BULK-' || n, ${new Date(first)}::timestamptz + n * interval '1 second'
        from generate_series(1, 10005) n`.execute(trx),
    );
    const candidates = async (query = "") =>
      ok<{ count: number; settled_amount: number; net_amount: number; allowed: boolean; max_count: number }>(
        await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/invoice-candidates${query}`),
      );
    const requestInvoice = (body: Record<string, unknown> = {}) =>
      call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/invoice-requests`, {
        address_id: address.id,
        ...body,
      });
    expect(await candidates()).toMatchObject({
      count: 10_005,
      settled_amount: 1_000_500,
      net_amount: 1_000_500,
      max_count: 10_000,
      allowed: false,
    });
    expectCode(await requestInvoice(), 400, "validation_failed");
    // Narrowed to exactly the limit, both agree it goes through.
    const narrowed = { created_lt: new Date(first + 10_001 * 1_000).toISOString() };
    expect(await candidates(`?created_lt=${encodeURIComponent(narrowed.created_lt)}`)).toMatchObject({
      count: 10_000,
      net_amount: 1_000_000,
      allowed: true,
    });
    expect(ok<{ entry_count: number }>(await requestInvoice(narrowed), 201).entry_count).toBe(10_000);
    // The 5 left net 5.00: below the minimum.
    expect(await candidates()).toMatchObject({ count: 5, net_amount: 500, allowed: false });
  });
});
