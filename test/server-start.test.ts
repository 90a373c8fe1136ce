import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.js";
import { startServerProcess } from "./helpers/server-process.js";

const ROOT = path.resolve(import.meta.dirname, "..");
let dataDir: string;

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function postmasterRunning(dir: string): boolean {
  const pidFile = path.join(dir, "pg", "postmaster.pid");
  if (!existsSync(pidFile)) return false;
  return true;
}

describe("npm start on the embedded PostgreSQL", () => {
  it("starts from nothing, seeds the demo tenant, stops cleanly, and restarts on the same data", async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-start-"));
    const demoKey = `demo_${"k".repeat(40)}`;
    const env = {
      VOUCHSAFE_DATA_DIR: dataDir,
      VOUCHSAFE_PG_PORT: String(await freePort()),
      VOUCHSAFE_DEMO_API_KEY: demoKey,
      DATABASE_URL: "",
      // As `npm start` logs: every request, the demo link's among them.
      LOG_LEVEL: "info",
    };
    const first = await startServerProcess(env);
    // The printout comes once the demo's member link is made, after the server answers.
    await expect.poll(() => first.output(), { timeout: 60_000 }).toContain("Press Ctrl+C to stop.");
    expect(first.output()).toContain("Seeded the demo tenant");
    expect(first.output()).toContain(`${first.baseUrl}/docs`);
    expect(first.output()).toMatch(new RegExp(`${first.baseUrl}/console/\\?tenant=ten_`));
    const root = await fetch(`${first.baseUrl}/`, { redirect: "manual" });
    expect(root.headers.get("location")).toBe("/console/");
    expect(first.output()).toContain(demoKey);
    expect(first.output()).toMatch(/owner@demo\.vouchsafe\.test/);
    const tenant = await fetch(`${first.baseUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${demoKey}` },
    });
    expect(tenant.status).toBe(200);
    const tenantBody = (await tenant.json()) as { id: string; name: string };
    expect(tenantBody.name).toBe("Demo Retail");
    // The member center's demo: a one-time link, and a cashier order handed over at this start,
    // with offers for each page set up once (printed after the server is ready).
    // The printout stays whole: the demo link's own requests are logged before it, not inside it.
    const printout = first.output().split("Vouchsafe is ready")[1]?.split("Press Ctrl+C to stop.")[0];
    expect(printout).toContain("Member center");
    expect(printout).not.toContain('"level":');
    expect(first.output()).toMatch(new RegExp(`${first.baseUrl}/m/[^\\s]+`));
    expect(first.output()).toMatch(
      new RegExp(`Cashier with an order handed over at this start: ${first.baseUrl}/m/\\S+/cashier\\?order=`),
    );
    const demoApi = async <T>(base: string, url: string) =>
      (await (await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${demoKey}` } })).json()) as T;
    const offers = async (base: string) => ({
      plans: (await demoApi<{ data: unknown[] }>(base, "/v1/topup-plans")).data.length,
      smart: (await demoApi<{ data: unknown[] }>(base, "/v1/smart-topup-plans")).data.length,
      orders: (await demoApi<{ data: { status: string; total: number }[] }>(base, "/v1/cashier-orders")).data,
    });
    const list = async <T>(base: string, url: string) => (await demoApi<{ data: T[] }>(base, url)).data;
    const demoShop = async (base: string) => ({
      members: (await list(base, "/v1/members?limit=100")).length,
      tiers: (await list<{ tiers: { code: string }[] }>(base, "/v1/card-plans"))[0]?.tiers.map((t) => t.code),
      tags: (await list(base, "/v1/member-tags")).length,
      groups: (await list(base, "/v1/member-groups")).length,
      benefits: (await list(base, "/v1/benefits?status=active&limit=100")).length,
      packageOrders: (await list<{ status: string }>(base, "/v1/package-orders")).map((o) => ({
        status: o.status,
      })),
      giftCards: (await list(base, "/v1/gift-cards")).length,
      spentGiftCards: (await list<{ balance: number; face_amount: number }>(base, "/v1/gift-cards")).filter(
        (c) => c.balance < c.face_amount,
      ).length,
      onlineTopUps: (await list<{ status: string }>(base, "/v1/topup-intents")).map((i) => i.status),
      pendingStudents: (await list(base, "/v1/student-verifications?status=pending")).length,
      audited: Object.fromEntries(
        await Promise.all(
          ["member.created", "package.purchased", "gift_card.activated", "checkout_order.refunded"].map(
            async (action) => [
              action,
              (await list(base, `/v1/audit-events?action=${action}&limit=100`)).length,
            ],
          ),
        ),
      ),
    });
    const firstOffers = await offers(first.baseUrl);
    expect(firstOffers).toMatchObject({ plans: 2, smart: 1, orders: [{ status: "open", total: 28_800 }] });
    // The demo shop, seeded through the API on the first start: audited, on the ledger.
    expect(first.output()).not.toContain("seeding the demo catalog failed");
    const shop = await demoShop(first.baseUrl);
    expect(shop).toMatchObject({
      members: 13,
      tiers: ["silver", "gold", "diamond"],
      tags: 2,
      groups: 1,
      benefits: 5,
      packageOrders: [{ status: "paid" }, { status: "paid" }],
      giftCards: 3,
      onlineTopUps: ["succeeded", "succeeded"],
      pendingStudents: 1,
    });
    expect(shop.spentGiftCards).toBe(1);
    expect(shop.audited).toEqual({
      "member.created": 13,
      "package.purchased": 2,
      "gift_card.activated": 3,
      "checkout_order.refunded": 1,
    });
    const saved = JSON.parse(await readFile(path.join(dataDir, "demo-credentials.json"), "utf8"));
    expect(saved.tenant_id).toBe(tenantBody.id);

    expect(await first.stop("SIGTERM"), first.output()).toBe(0);
    expect(first.output()).toContain("Stopped.");
    expect(postmasterRunning(dataDir)).toBe(false);

    const second = await startServerProcess(env);
    expect(second.output()).not.toContain("Seeded the demo tenant");
    const again = await fetch(`${second.baseUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${demoKey}` },
    });
    expect(((await again.json()) as { id: string }).id).toBe(tenantBody.id);
    // A restart hands over a new order and sets up nothing twice.
    await expect.poll(() => second.output(), { timeout: 60_000 }).toContain("Press Ctrl+C to stop.");
    const secondOffers = await offers(second.baseUrl);
    expect(secondOffers).toMatchObject({ plans: 2, smart: 1 });
    expect(await demoShop(second.baseUrl)).toEqual(shop);
    expect(secondOffers.orders).toHaveLength(2);

    // The CLI shares the configuration and the running database.
    const cli = spawnSync(
      process.execPath,
      ["bin/vouchsafe.js", "tenant", "create", "--name", "From CLI", "--json"],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: "utf8",
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const created = JSON.parse(cli.stdout) as { tenant_id: string; api_key: string };
    const own = await fetch(`${second.baseUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${created.api_key}` },
    });
    expect(((await own.json()) as { id: string }).id).toBe(created.tenant_id);

    const verify = spawnSync(process.execPath, ["bin/vouchsafe.js", "verify-ledger", "--json"], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
    expect(verify.status, verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; tenants: { tenant_id: string }[] };
    expect(report.ok).toBe(true);
    expect(report.tenants.map((r) => r.tenant_id)).toEqual(
      expect.arrayContaining([tenantBody.id, created.tenant_id]),
    );

    expect(await second.stop("SIGINT"), second.output()).toBe(0);
    expect(postmasterRunning(dataDir)).toBe(false);
  }, 900_000);
});
