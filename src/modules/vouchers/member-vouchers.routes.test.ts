import { sql } from "kysely";
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
import { expectCode, memberAuth } from "../../../test/helpers/vouchers.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { createAsset } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { moveUnit } from "../../platform/org/org-unit-changes.js";
import { voucherAccountIds } from "./index.js";

/** Members' vouchers over HTTP: issued by staff, listed by staff and the member, withdrawn. */
let t: TestApp;
let tenant: TestTenant;
let zoneA: { id: string; path: string };
let zoneB: { id: string; path: string };
let keyA: { authorization: string };
let ann = ""; // in zone A
let bob = ""; // in zone B
let annAuth: { authorization: string };
let bobAuth: { authorization: string };

const DAY = 86_400_000;

/** Sessions of this database waiting for a lock. */
async function lockWaits(): Promise<number> {
  const rows = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
     where datname = current_database() and wait_event_type = 'Lock'`.execute(t.database.owner);
  return Number(rows.rows[0]?.n);
}
interface View {
  id: string;
  member_id: string;
  issuer_id: string | null;
  status: string;
  balance: number;
  face_value: { amount: number; asset: string };
  scope: { kind: string; product_codes: string[] };
  min_bill_amount: number;
  expires_at: string;
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    createAsset(trx, tenant.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, t.clock.now()),
  );
  const root = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    trx
      .selectFrom("org_units")
      .select(["id", "path"])
      .where("id", "=", tenant.rootOrgUnitId)
      .executeTakeFirstOrThrow(),
  );
  zoneA = await createTestOrgUnit(t, tenant.tenantId, root, "merchant", "Zone A");
  zoneB = await createTestOrgUnit(t, tenant.tenantId, root, "merchant", "Zone B");
  keyA = (await createTestKey(t, tenant.tenantId, "operator", zoneA.id)).auth;
  const member = async (name: string, orgUnitId: string) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name, org_unit_id: orgUnitId },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  };
  ann = await member("Ann", zoneA.id);
  bob = await member("Bob", zoneB.id);
  annAuth = await memberAuth(t, tenant, ann);
  bobAuth = await memberAuth(t, tenant, bob);
});
afterAll(async () => t?.close());

const expiry = () => new Date(t.clock.now().getTime() + 30 * DAY).toISOString();

function issue(memberId: string, payload: object, headers: Record<string, string> = tenant.auth) {
  return t.app.inject({
    method: "POST",
    url: `/v1/members/${memberId}/vouchers`,
    headers,
    payload: { face_value: { amount: 1000, asset: "CNY" }, expires_at: expiry(), ...payload },
  });
}
function list(memberId: string, headers: Record<string, string> = tenant.auth, query = "") {
  return t.app.inject({ url: `/v1/members/${memberId}/vouchers${query}`, headers });
}
const ids = (res: Parameters<typeof json>[0]) => json<{ data: View[] }>(res).data.map((v) => v.id);

/** Rows an attempt could have written: vouchers, ledger transfers, audit events, outbox. */
async function writes() {
  const count = async (table: "vouchers" | "ledger_transfers" | "audit_events" | "events") =>
    Number(
      (
        await t.database.owner
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .where("tenant_id", "=", tenant.tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    vouchers: await count("vouchers"),
    transfers: await count("ledger_transfers"),
    audit: await count("audit_events"),
    outbox: await count("events"),
  };
}

/** The webhook events about one voucher, oldest first. */
async function eventsOf(voucherId: string) {
  const rows = await t.database.owner
    .selectFrom("events")
    .select(["type", "data"])
    .where("tenant_id", "=", tenant.tenantId)
    .orderBy("id")
    .execute();
  return rows.filter((r) => (r.data as { voucher_id?: string }).voucher_id === voucherId);
}

async function balanceOf(accountId: string) {
  return t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    const b = await t.deps.ledger.within(trx, tenant.tenantId).balances(accountId);
    return b ? b.credits_posted - b.debits_posted : 0;
  });
}

describe("member voucher routes", () => {
  it("staff issue a voucher that the member and staff list with balance and status; audited, funded by the tenant", async () => {
    const fundingBefore = await balanceOf(voucherAccountIds.funding("tenant", "CNY"));
    const res = await issue(ann, {
      scope: { kind: "allow", product_codes: ["latte"] },
      min_bill_amount: 500,
    });
    expect(res.statusCode, res.body).toBe(201);
    const v = json<View>(res);
    expect(v).toMatchObject({
      member_id: ann,
      issuer_id: null,
      status: "unused",
      balance: 1000,
      face_value: { amount: 1000, asset: "CNY" },
      scope: { kind: "allow", product_codes: ["latte"] },
      min_bill_amount: 500,
    });
    expect(await balanceOf(voucherAccountIds.voucher(v.id))).toBe(1000);
    expect(await balanceOf(voucherAccountIds.funding("tenant", "CNY"))).toBe(fundingBefore - 1000);
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", v.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["voucher.issued"]);
    expect(await eventsOf(v.id)).toEqual([
      {
        type: "voucher.issued",
        data: expect.objectContaining({ customer_id: null, member_id: ann, amount: 1000, asset: "CNY" }),
      },
    ]);

    const staff = await list(ann);
    expect(staff.statusCode, staff.body).toBe(200);
    expect(ids(staff)).toContain(v.id);
    const own = await list(ann, annAuth);
    expect(own.statusCode, own.body).toBe(200);
    expect(json<{ data: View[] }>(own).data.find((x) => x.id === v.id)).toMatchObject({
      balance: 1000,
      status: "unused",
    });
    // Another member's token: Ann's list is not found, and Bob's own list lacks her voucher.
    expectCode(await list(ann, bobAuth), 404, "member_not_found");
    const bobs = await list(bob, bobAuth);
    expect(bobs.statusCode).toBe(200);
    expect(ids(bobs)).not.toContain(v.id);
    // A member token cannot issue.
    expect((await issue(ann, {}, annAuth)).statusCode).toBe(403);
  });

  it("replays the same Idempotency-Key with the same voucher; another body under it is refused", async () => {
    const headers = { ...tenant.auth, "idempotency-key": "issue-ann-1" };
    const first = await issue(ann, { face_value: { amount: 700, asset: "CNY" } }, headers);
    expect(first.statusCode, first.body).toBe(201);
    const before = await writes();
    const again = await issue(ann, { face_value: { amount: 700, asset: "CNY" } }, headers);
    expect(again.statusCode).toBe(201);
    expect(json<View>(again).id).toBe(json<View>(first).id);
    expectCode(
      await issue(ann, { face_value: { amount: 800, asset: "CNY" } }, headers),
      422,
      "idempotency_key_reused",
    );
    expect(await writes()).toEqual(before);
  });

  it("bad input, unknown or closed members and unknown assets write nothing", async () => {
    const carl = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/members",
        headers: tenant.auth,
        payload: { name: "Carl" },
      }),
    ).id;
    const closed = await t.app.inject({
      method: "PATCH",
      url: `/v1/members/${carl}`,
      headers: tenant.auth,
      payload: { status: "closed" },
    });
    expect(closed.statusCode, closed.body).toBe(200);
    const before = await writes();
    const now = t.clock.now().getTime();
    expectCode(await issue("mbr_01jd3m2x4y5z6a7b8c9d0e1f2g", {}), 404, "member_not_found");
    expectCode(await issue(carl, {}), 422, "member_closed");
    expectCode(await issue(ann, { face_value: { amount: 100, asset: "XYZ" } }), 404, "asset_not_found");
    expectCode(await issue(ann, { face_value: { amount: 0, asset: "CNY" } }), 400, "validation_failed");
    expectCode(
      await issue(ann, {
        starts_at: new Date(now + 5 * DAY).toISOString(),
        expires_at: new Date(now + DAY).toISOString(),
      }),
      400,
      "invalid_validity",
    );
    expectCode(await issue(ann, { expires_at: new Date(now - DAY).toISOString() }), 400, "invalid_validity");
    expectCode(await issue(ann, { scope: { kind: "allow", product_codes: [] } }), 400, "invalid_scope");
    expect((await issue(ann, { extra: 1 })).statusCode).toBe(400);
    expect(await writes()).toEqual(before);
  });

  it("a key bound to an org unit issues as its unit to its own members only, and lists only them", async () => {
    const res = await issue(ann, {}, keyA);
    expect(res.statusCode, res.body).toBe(201);
    const v = json<View>(res);
    expect(v.issuer_id).toBe(zoneA.id);
    expect(await balanceOf(voucherAccountIds.funding(zoneA.id, "CNY"))).toBe(-1000);
    const before = await writes();
    expectCode(await issue(bob, {}, keyA), 404, "member_not_found");
    expectCode(await issue(ann, { issuer_id: zoneB.id }, keyA), 404, "org_unit_not_found");
    expect(await writes()).toEqual(before);
    expect(ids(await list(ann, keyA))).toContain(v.id);
    expectCode(await list(bob, keyA), 404, "member_not_found");
  });

  it("paginates with a cursor, limit at most 100, and filters by status", async () => {
    const all = ids(await list(ann));
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = json<{ data: View[]; has_more: boolean }>(await list(ann, tenant.auth, "?limit=2"));
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const rest = ids(await list(ann, tenant.auth, `?limit=100&starting_after=${first.data[1]!.id}`));
    expect([...first.data.map((v) => v.id), ...rest]).toEqual(all);
    expect((await list(ann, tenant.auth, "?limit=101")).statusCode).toBe(400);
    expect(ids(await list(ann, tenant.auth, "?status=withdrawn"))).toEqual([]);
  });

  it("withdrawal is irreversible and audited: the remainder returns to the issuer; only staff over the issuer", async () => {
    const v = json<View>(await issue(ann, { face_value: { amount: 900, asset: "CNY" } }));
    const mine = json<View>(await issue(ann, { face_value: { amount: 300, asset: "CNY" } }, keyA));
    const withdraw = (id: string, headers: Record<string, string> = tenant.auth) =>
      t.app.inject({
        method: "POST",
        url: `/v1/member-vouchers/${id}/withdraw`,
        headers,
        payload: { reason: "goodwill ended" },
      });
    // The zone key sees Ann but did not issue the tenant's voucher.
    expectCode(await withdraw(v.id, keyA), 403, "voucher_withdraw_forbidden");
    expectCode(await withdraw(v.id, annAuth), 403, "forbidden");
    expectCode(await withdraw("vch_01jd3m2x4y5z6a7b8c9d0e1f2g"), 404, "voucher_not_found");
    const fundingBefore = await balanceOf(voucherAccountIds.funding("tenant", "CNY"));
    const key = { ...tenant.auth, "idempotency-key": "withdraw-1" };
    const res = await withdraw(v.id, key);
    expect(res.statusCode, res.body).toBe(200);
    expect(json<View>(res)).toMatchObject({ id: v.id, status: "withdrawn", balance: 0 });
    expect(await balanceOf(voucherAccountIds.funding("tenant", "CNY"))).toBe(fundingBefore + 900);
    expect((await withdraw(v.id, key)).statusCode).toBe(200);
    expectCode(await withdraw(v.id), 409, "voucher_not_withdrawable");
    expect(await balanceOf(voucherAccountIds.funding("tenant", "CNY"))).toBe(fundingBefore + 900);
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", v.id)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["voucher.issued", "voucher.withdrawn"]);
    expect(
      (await eventsOf(v.id)).map((e) => [e.type, (e.data as { returned_amount?: number }).returned_amount]),
    ).toEqual([
      ["voucher.issued", undefined],
      ["voucher.withdrawn", 900],
    ]);
    // The zone key withdraws what its unit issued.
    const own = await withdraw(mine.id, keyA);
    expect(own.statusCode, own.body).toBe(200);
    expect(json<View>(own).status).toBe("withdrawn");
    expect(ids(await list(ann, annAuth, "?status=withdrawn")).sort()).toEqual([v.id, mine.id].sort());
  });

  it("a checkout order spends the issued voucher by id", async () => {
    const v = json<View>(await issue(ann, { face_value: { amount: 500, asset: "CNY" } }));
    const order = await t.app.inject({
      method: "POST",
      url: "/v1/checkout/orders",
      headers: tenant.auth,
      payload: {
        member_id: ann,
        channel: "POS",
        currency: "CNY",
        lines: [{ sku: "latte", category: "drinks", quantity: 1, unit_price: 1200 }],
        voucher_ids: [v.id],
        client_order_id: "mv-order-1",
      },
    });
    expect(order.statusCode, order.body).toBe(201);
    expect(json<{ voucher_total: number }>(order).voucher_total).toBe(500);
    const after = json<{ data: View[] }>(await list(ann, annAuth)).data.find((x) => x.id === v.id);
    expect(after).toMatchObject({ balance: 0, status: "used_up" });
  });
});

describe("a member holding a unit's voucher changing org unit", () => {
  it("stays within the issuer's subtree while the voucher is live; once withdrawn it may go", async () => {
    const shop = await createTestOrgUnit(t, tenant.tenantId, zoneA, "store", "Zone A shop");
    const dee = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/members",
        headers: tenant.auth,
        payload: { name: "Dee", org_unit_id: zoneA.id },
      }),
    ).id;
    const fromTenant = json<View>(await issue(dee, { face_value: { amount: 200, asset: "CNY" } }));
    expect(fromTenant.issuer_id).toBeNull();
    const v = json<View>(await issue(dee, { face_value: { amount: 400, asset: "CNY" } }, keyA));
    expect(v.issuer_id).toBe(zoneA.id);
    const move = (orgUnitId: string | null) =>
      t.app.inject({
        method: "PATCH",
        url: `/v1/members/${dee}`,
        headers: tenant.auth,
        payload: { org_unit_id: orgUnitId },
      });

    // Under zone B, its tills would spend zone A's voucher while zone A could no longer see
    // the member to withdraw it: refused, nothing written.
    const before = await writes();
    const refused = await move(zoneB.id);
    expectCode(refused, 409, "member_voucher_outstanding");
    expect(json<{ detail: string }>(refused).detail).toContain(v.id);
    expectCode(await move(null), 409, "member_voucher_outstanding");
    expect(await writes()).toEqual(before);
    expect(ids(await list(dee, keyA))).toContain(v.id);

    // Within the issuer's subtree it may move; the tenant's own voucher holds nothing back.
    const inside = await move(shop.id);
    expect(inside.statusCode, inside.body).toBe(200);
    // Nor may the member's unit itself be moved out from under the issuer.
    const unitMove = await t.app.inject({
      method: "POST",
      url: `/v1/org-units/${shop.id}/move`,
      headers: tenant.auth,
      payload: { parent_id: zoneB.id },
    });
    expectCode(unitMove, 409, "org_unit_in_use");
    expect(json<{ detail: string }>(unitMove).detail).toContain(v.id);

    const withdrawn = await t.app.inject({
      method: "POST",
      url: `/v1/member-vouchers/${v.id}/withdraw`,
      headers: keyA,
      payload: {},
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    const moved = await move(zoneB.id);
    expect(moved.statusCode, moved.body).toBe(200);
    expect(json<{ org_unit_id: string }>(moved).org_unit_id).toBe(zoneB.id);
  });
});

describe("a member changing org unit while that unit is moved", () => {
  it("does not follow a unit a move in flight takes out from under its voucher's issuer", async () => {
    const shop = await createTestOrgUnit(t, tenant.tenantId, zoneA, "store", "Zone A corner shop");
    const fay = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/members",
        headers: tenant.auth,
        payload: { name: "Fay", org_unit_id: zoneA.id },
      }),
    ).id;
    const v = json<View>(await issue(fay, { face_value: { amount: 300, asset: "CNY" } }, keyA));
    expect(v.issuer_id).toBe(zoneA.id);

    // The shop is being moved under zone B: its move has passed its checks (Fay is not in the
    // shop yet) and is about to commit.
    let commitMove!: () => void;
    const committing = new Promise<void>((resolve) => {
      commitMove = resolve;
    });
    let checked!: () => void;
    const moveChecked = new Promise<void>((resolve) => {
      checked = resolve;
    });
    const ctx = { actor: systemActor(tenant.tenantId, "test-move"), requestId: null };
    const unitMove = t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
      await moveUnit(trx, ctx, { id: shop.id, parentId: zoneB.id }, t.clock.now());
      checked();
      await committing;
    });
    await moveChecked;
    let answered = false;
    const memberMove = t.app
      .inject({
        method: "PATCH",
        url: `/v1/members/${fay}`,
        headers: tenant.auth,
        payload: { org_unit_id: shop.id },
      })
      .then((r) => {
        answered = true;
        return r;
      });
    await waitFor(async () => answered || (await lockWaits()) > 0, "the member's move to answer or wait");
    commitMove();
    await unitMove;
    // Either way round, zone A's live voucher does not end up under zone B.
    expectCode(await memberMove, 409, "member_voucher_outstanding");
    const member = json<{ org_unit_id: string }>(
      await t.app.inject({ url: `/v1/members/${fay}`, headers: tenant.auth }),
    );
    expect(member.org_unit_id).toBe(zoneA.id);
  });
});

describe("a member who moved away after spending a unit's voucher, refunded later", () => {
  it("gives the refund's share to the voucher's source, not back onto a voucher outside its issuer's subtree", async () => {
    const eve = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/members",
        headers: tenant.auth,
        payload: { name: "Eve", org_unit_id: zoneA.id },
      }),
    ).id;
    const v = json<View>(await issue(eve, { face_value: { amount: 400, asset: "CNY" } }, keyA));
    const order = await t.app.inject({
      method: "POST",
      url: "/v1/checkout/orders",
      headers: tenant.auth,
      payload: {
        member_id: eve,
        channel: "POS",
        currency: "CNY",
        lines: [{ sku: "latte", category: "drinks", quantity: 1, unit_price: 400 }],
        voucher_ids: [v.id],
        client_order_id: "mv-moved-away",
      },
    });
    expect(order.statusCode, order.body).toBe(201);
    const orderId = json<{ id: string }>(order).id;
    // Spent to zero the voucher holds nothing back: the member may leave zone A.
    const moved = await t.app.inject({
      method: "PATCH",
      url: `/v1/members/${eve}`,
      headers: tenant.auth,
      payload: { org_unit_id: zoneB.id },
    });
    expect(moved.statusCode, moved.body).toBe(200);

    const refunded = await t.app.inject({
      method: "POST",
      url: `/v1/checkout/orders/${orderId}/refund`,
      headers: { ...tenant.auth, "idempotency-key": "mv-moved-away-refund" },
      payload: {},
    });
    expect(refunded.statusCode, refunded.body).toBe(200);
    // Refilled, zone B's tills would spend zone A's voucher and zone A could not withdraw it.
    const after = json<{ data: View[] }>(await list(eve)).data.find((x) => x.id === v.id);
    expect(after).toMatchObject({ balance: 0 });
    const returns = await t.database.owner
      .selectFrom("voucher_redemptions")
      .select(["amount", "returned_to"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("voucher_id", "=", v.id)
      .where("kind", "=", "return")
      .execute();
    expect(returns).toEqual([{ amount: 400, returned_to: "source" }]);
  });
});
