import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { creditPoints, debitPoints, lotExpiry, pointsTotal } from "./points-lots.js";
import { accountIds } from "./wallets.ledger.js";
import { loadSettings } from "./wallets.repository.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof walletClient>;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Long-lived points");
  c = walletClient(t, tenant);
  // Points valid for ten years: a member earning on many days holds a lot per day.
  await c.ok("PATCH", "/v1/wallet-settings", { points_validity_days: 3660 });
});
afterAll(async () => t?.close());

/** Earns `amount` points on each of `days` past days (newest first), through the ledger as an earn does. */
async function earnOnPastDays(memberId: string, days: number, amount: number) {
  const now = t.clock.now();
  await t.deps.ledger.run(tenant.tenantId, async (uow) => {
    const settings = await loadSettings(uow.trx, uow.tenantId, now);
    for (let i = 0; i < days; i++) {
      await creditPoints(
        uow,
        settings,
        { kind: "points", memberId, amount, from: "points_issued", code: "points_earn" },
        new Date(now.getTime() - i * DAY_MS),
      );
    }
  });
}

const lotId = (memberId: string, daysAgo: number) =>
  accountIds.lot(
    "points",
    memberId,
    lotExpiry(3660, "UTC", new Date(t.clock.now().getTime() - daysAgo * DAY_MS)).key,
  );

async function lotBalance(id: string) {
  const row = await t.database.owner
    .selectFrom("ledger_accounts")
    .select(["credits_posted", "debits_posted"])
    .where("tenant_id", "=", tenant.tenantId)
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.credits_posted - row.debits_posted;
}

describe("points lots of a member who earned on more than 1,000 days", () => {
  it("counts every lot, spends the earliest-expiring first and can spend them all", async () => {
    const m = await c.newMember();
    await earnOnPastDays(m, 1200, 1);
    expect((await c.balance(m)).points).toBe(1200);

    // The 150 oldest lots expire first.
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "spend", points: 150 });
    expect(await lotBalance(lotId(m, 1199))).toBe(0);
    expect(await lotBalance(lotId(m, 1050))).toBe(0);
    expect(await lotBalance(lotId(m, 1049))).toBe(1);
    expect(await lotBalance(lotId(m, 0))).toBe(1);
    const log = json<{ data: { kind: string; amount: number; balance_after: number }[] }>(
      await c.call("GET", `/v1/members/${m}/balance-changes?account=points`),
    );
    expect(log.data[0]).toMatchObject({ kind: "points_spend", amount: -150, balance_after: 1050 });

    // Emptied lots take no room from the ones that still hold points.
    expectProblem(
      await c.call("POST", `/v1/members/${m}/points`, { operation: "spend", points: 1051 }),
      422,
      "insufficient_points",
    );
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "spend", points: 1050 });
    expect((await c.balance(m)).points).toBe(0);
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  }, 120_000);

  it("still sees an emptied lot that this unit of work credits again", async () => {
    const m = await c.newMember();
    await earnOnPastDays(m, 1, 5);
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "spend", points: 5 });
    const now = t.clock.now();
    const { left } = await t.deps.ledger.run(tenant.tenantId, async (uow) => {
      const settings = await loadSettings(uow.trx, uow.tenantId, now);
      // Today's lot is empty in the database; the unit fills it again and spends from it.
      const input = { kind: "points" as const, memberId: m, amount: 7 };
      await creditPoints(uow, settings, { ...input, from: "points_issued", code: "points_earn" }, now);
      expect(await pointsTotal(uow, "points", m, now)).toBe(7);
      return debitPoints(uow, { ...input, amount: 4, to: "points_spent", code: "points_spend" }, now);
    });
    expect(left).toBe(3);
    expect((await c.balance(m)).points).toBe(3);
  });
});
