import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { verifyLedger } from "../../ledger/index.js";

/** Purchases at the same time: gift stock stays exact, one member's purchases serialise. */
let w: PackageWorld;

beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set("2025-10-10T02:00:00Z");
});
afterAll(async () => w?.t.close());

const purchase = (pkg: string, member: string) =>
  w.call("POST", "/v1/package-orders", {
    package_id: pkg,
    member_id: member,
    rule_key: "quarterly",
    channel: "POS",
    payment_method: "balance",
  });

describe("concurrent purchases", () => {
  it("50 at once against a gift stock of 10 give exactly 10 gifts; every purchase is paid", async () => {
    const pkg = await w.createPackage({
      perks: [
        {
          type: "first_purchase_gift",
          key: "welcome",
          applicable_rules: "all",
          gift: { kind: "voucher", template_id: w.coffee },
          gift_stock: 10,
        },
      ],
    });
    const members: string[] = [];
    for (let i = 0; i < 50; i++) members.push(await w.member(20_000, "silver", `C${i}`));
    const responses = await Promise.all(members.map((m) => purchase(pkg, m)));
    expect(responses.map((r) => r.statusCode)).toEqual(members.map(() => 201));
    const orders = responses.map((r) => JSON.parse(r.body) as OrderBody);
    const statuses = orders.map((o) => o.gifts[0]!.status);
    expect(statuses.filter((s) => s === "granted")).toHaveLength(10);
    expect(statuses.filter((s) => s === "out_of_stock")).toHaveLength(40);
    const vouchers = await w.t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("vouchers").select("id").where("member_id", "in", members).execute(),
    );
    expect(vouchers).toHaveLength(10);
    const stock = await w.ok<{ gift_stocks: unknown[] }>(w.call("GET", `/v1/packages/${pkg}`));
    expect(stock.gift_stocks).toEqual([{ perk_key: "welcome", limit: 10, granted: 10 }]);
    for (const m of members.slice(0, 5)) expect((await w.balance(m)).principal).toBe(20_000 - 15900);
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("one member's simultaneous purchases serialise: one first purchase, then renewals chained end to start", async () => {
    const pkg = await w.createPackage({ perks: [] });
    const m = await w.member(100_000);
    const orders = (await Promise.all(Array.from({ length: 5 }, () => purchase(pkg, m)))).map((r) => {
      expect(r.statusCode, r.body).toBe(201);
      return JSON.parse(r.body) as OrderBody;
    });
    expect(orders.filter((o) => o.situation === "first_purchase")).toHaveLength(1);
    expect(orders.filter((o) => o.situation === "early_renewal")).toHaveLength(4);
    const periods = orders.map((o) => o.period!).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    for (let i = 1; i < periods.length; i++) expect(periods[i]!.starts_at).toBe(periods[i - 1]!.ends_at);
    expect((await w.balance(m)).principal).toBe(100_000 - 15900 - 4 * 16900);
  });
});
