import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { expirePoints } from "./expire-points.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof walletClient>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Moves west");
  c = walletClient(t, tenant);
  await c.ok("PATCH", "/v1/wallet-settings", { points_validity_days: 30 });
});
afterAll(async () => t?.close());

const points = async (m: string) => (await c.balance(m)).points;

describe("points earned on the same local day before and after the tenant's time zone changes", () => {
  it("each keep the end of their own last day", async () => {
    const m = await c.newMember();
    // 2026-11-23 16:00 in Shanghai: usable through 2026-12-23 there, gone at 2026-12-23T16:00Z.
    t.clock.set("2026-11-23T08:00:00Z");
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100 });

    await c.ok("PATCH", "/v1/tenant", { timezone: "America/Los_Angeles" });
    // 2026-11-23 22:00 in Los Angeles: the same local day, so usable through 2026-12-23 in
    // Los Angeles, gone at 2026-12-24T08:00Z.
    t.clock.set("2026-11-24T06:00:00Z");
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 50 });
    expect(await points(m)).toBe(150);

    // Past the Shanghai lot's end, still 2026-12-23 in Los Angeles.
    t.clock.set("2026-12-23T17:00:00Z");
    expect(await points(m)).toBe(50);
    expect(await expirePoints(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(1);
    expect(await points(m)).toBe(50);
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "spend", points: 20 });
    expect(await points(m)).toBe(30);

    t.clock.set("2026-12-24T08:00:00Z");
    expect(await points(m)).toBe(0);
    expect(await expirePoints(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(1);
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });

  it("are not kept past their own day when the zone moves east", async () => {
    await c.ok("PATCH", "/v1/tenant", { timezone: "America/Los_Angeles" });
    const m = await c.newMember();
    // 2027-11-24 01:00 in Los Angeles: gone at 2027-12-25T08:00Z.
    t.clock.set("2027-11-24T09:00:00Z");
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100 });

    await c.ok("PATCH", "/v1/tenant", { timezone: "Asia/Shanghai" });
    // 2027-11-24 18:00 in Shanghai, the same local day: gone at 2027-12-24T16:00Z.
    t.clock.set("2027-11-24T10:00:00Z");
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 40 });
    expect(await points(m)).toBe(140);

    t.clock.set("2027-12-24T17:00:00Z");
    expect(await points(m)).toBe(100);
    expect(await expirePoints(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(1);
    t.clock.set("2027-12-25T08:00:00Z");
    expect(await points(m)).toBe(0);
    expect(await expirePoints(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(1);
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });
});
