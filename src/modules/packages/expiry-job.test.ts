import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { someoneWaitsForALock } from "../../../test/helpers/last-place.js";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { runPackageExpiry } from "./index.js";

/** The clock-driven package job: deferred renewal gifts for frozen and closed members, and two runners at once. */
let w: PackageWorld;
const DAY = 86_400_000;
const START = "2025-10-10T02:00:00Z";

beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set(START);
});
afterAll(async () => {
  await w?.t.close();
});

const bought = (body: Record<string, unknown>) =>
  w.ok<OrderBody>(
    w.call("POST", "/v1/package-orders", {
      channel: "POS",
      payment_method: "balance",
      rule_key: "quarterly",
      ...body,
    }),
    201,
  );
const order = (id: string) => w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${id}`));
const trail = () => tenantTrail(w.t, w.tenant.tenantId);

/** A package whose early-renewal gift (400 points and a coffee voucher) waits for the renewed period. */
const renewalPackage = () =>
  w.createPackage({
    sales_rules: [{ key: "quarterly", duration_days: 10, original_price: 1000, early_renewal_price: 800 }],
    perks: [
      {
        type: "early_renewal_gift",
        key: "loyal",
        applicable_rules: "all",
        bonus_points: 400,
        distribution: "on_effect",
        gift: { kind: "voucher", template_id: w.coffee },
      },
    ],
  });

/** A member holding a period and a paid renewal whose gift is deferred to the renewal's start. */
async function renewed(pkg: string) {
  const m = await w.member(10_000);
  const first = await bought({ package_id: pkg, member_id: m });
  const renewal = await bought({ package_id: pkg, member_id: m });
  expect(renewal.situation).toBe("early_renewal");
  expect(renewal.gifts).toEqual([]);
  return { m, first, renewal };
}

describe("deferred renewal gifts", () => {
  it("a member frozen before the renewal takes effect still receives the gift paid for; other members are not held up", async () => {
    w.t.clock.set(START);
    const pkg = await renewalPackage();
    const frozen = await renewed(pkg);
    const other = await renewed(pkg);
    await w.ok(w.call("PATCH", `/v1/members/${frozen.m}`, { status: "frozen" }));

    w.t.clock.set(frozen.first.period!.ends_at);
    await runPackageExpiry(w.t.deps);
    for (const { m, renewal } of [frozen, other]) {
      const given = await order(renewal.id);
      expect(given.gifts).toEqual([
        { perk_key: "loyal", status: "granted", voucher_ids: [expect.any(String)] },
      ]);
      expect(given.points_awarded).toBe(400);
      expect((await w.balance(m)).points).toBe(400);
    }
    // Nothing twice.
    await runPackageExpiry(w.t.deps);
    expect((await w.balance(frozen.m)).points).toBe(400);
    expect((await w.ok<{ status: string }>(w.call("GET", `/v1/members/${frozen.m}`))).status).toBe("frozen");
    await trail().ledgerClean();
  });

  it("a member closed before the renewal takes effect is given nothing; the withheld gift is audited and the job moves on", async () => {
    w.t.clock.set(START);
    const pkg = await renewalPackage();
    const closed = await renewed(pkg);
    const other = await renewed(pkg);
    // A member is closed with an empty wallet: what is left of the balance is withdrawn first.
    await w.ok(
      w.call("POST", `/v1/members/${closed.m}/withdrawals`, {
        amount: (await w.balance(closed.m)).available,
      }),
      201,
    );
    const before = await w.balance(closed.m);
    await w.ok(w.call("PATCH", `/v1/members/${closed.m}`, { status: "closed" }));

    w.t.clock.set(closed.first.period!.ends_at);
    await runPackageExpiry(w.t.deps);
    const kept = await order(closed.renewal.id);
    expect(kept.gifts).toEqual([]);
    expect(kept.points_awarded).toBe(0);
    expect((await w.balance(closed.m)).points).toBe(before.points);
    expect(await trail().audit(closed.renewal.id)).toContain("package.deferred_gift_withheld");
    const withheld = await w.t.database.owner
      .selectFrom("audit_events")
      .select(["summary", "actor_type", "actor_id"])
      .where("tenant_id", "=", w.tenant.tenantId)
      .where("target_id", "=", closed.renewal.id)
      .where("action", "=", "package.deferred_gift_withheld")
      .executeTakeFirstOrThrow();
    expect(withheld.summary).toMatchObject({
      reason: "member_closed",
      member_id: closed.m,
      perks: ["loyal"],
      points: 400,
    });
    expect(withheld.actor_type).toBe("system");
    // The period is settled: running again neither retries nor audits twice.
    await runPackageExpiry(w.t.deps);
    expect(
      (await trail().audit(closed.renewal.id)).filter((a) => a === "package.deferred_gift_withheld"),
    ).toHaveLength(1);
    expect((await order(other.renewal.id)).points_awarded).toBe(400);
    await trail().ledgerClean();
  });

  it("a renewed period that has run its course before the job ran still gets its gift", async () => {
    w.t.clock.set(START);
    const pkg = await renewalPackage();
    const { m, renewal } = await renewed(pkg);
    w.t.clock.set(renewal.period!.ends_at);
    w.t.clock.advance(DAY);
    await runPackageExpiry(w.t.deps);
    const given = await order(renewal.id);
    expect(given.gifts).toEqual([
      { perk_key: "loyal", status: "granted", voucher_ids: [expect.any(String)] },
    ]);
    expect(given.points_awarded).toBe(400);
    expect((await w.balance(m)).points).toBe(400);
    expect(given.period!.status).toBe("expired");
    await trail().ledgerClean();
  });

  it("while a refund holds the renewal order, the job leaves its period alone (no deadlock with the refund)", async () => {
    w.t.clock.set(START);
    const pkg = await renewalPackage();
    const { m, first, renewal } = await renewed(pkg);
    w.t.clock.set(first.period!.ends_at);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const orderLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    let periodFree: boolean | undefined;
    // A refund's first steps: the order, then its period.
    const refund = w.t.database.owner.transaction().execute(async (trx) => {
      await trx.selectFrom("package_orders").select("id").where("id", "=", renewal.id).forUpdate().execute();
      locked();
      await gate;
      periodFree = await trx
        .selectFrom("package_periods")
        .select("id")
        .where("id", "=", renewal.period!.id)
        .forUpdate()
        .noWait()
        .execute()
        .then(
          () => true,
          () => false,
        );
    });
    await orderLocked;
    let settled = false;
    const job = runPackageExpiry(w.t.deps, w.tenant.tenantId).finally(() => {
      settled = true;
    });
    await waitFor(async () => settled || (await someoneWaitsForALock(w.t)), "the job to finish or wait");
    release();
    await refund;
    await job;
    expect(periodFree).toBe(true);
    // Once the order is free, the next run gives the gift once.
    await runPackageExpiry(w.t.deps, w.tenant.tenantId);
    expect((await order(renewal.id)).points_awarded).toBe(400);
    expect((await w.balance(m)).points).toBe(400);
    await trail().ledgerClean();
  });

  it("two runners settling the same tenant at once give each gift once", async () => {
    w.t.clock.set(START);
    const pkg = await renewalPackage();
    const members = [await renewed(pkg), await renewed(pkg), await renewed(pkg)];
    w.t.clock.set(members[0]!.first.period!.ends_at);
    w.t.clock.advance(DAY);
    await Promise.all([
      runPackageExpiry(w.t.deps, w.tenant.tenantId),
      runPackageExpiry(w.t.deps, w.tenant.tenantId),
      runPackageExpiry(w.t.deps),
    ]);
    for (const { m, renewal } of members) {
      expect((await order(renewal.id)).points_awarded).toBe(400);
      expect((await w.balance(m)).points).toBe(400);
    }
    await trail().ledgerClean();
  });
});

describe("across tenants", () => {
  it("a tenant whose work fails does not hold back the others; the failure names it", async () => {
    w.t.clock.set(START);
    const other = await packageWorld({ t: w.t });
    const good = await renewed(await renewalPackage());
    const pkg = await other.createPackage({
      sales_rules: [{ key: "quarterly", duration_days: 10, original_price: 1000, early_renewal_price: 800 }],
      perks: [
        {
          type: "first_purchase_gift",
          key: "welcome",
          applicable_rules: "all",
          bonus_points: 500,
          gift: { kind: "voucher", template_id: other.coffee },
        },
        {
          type: "early_renewal_gift",
          key: "loyal",
          applicable_rules: "all",
          bonus_points: 400,
          distribution: "on_effect",
          gift: { kind: "voucher", template_id: other.coffee },
        },
      ],
    });
    const m = await other.member(10_000);
    for (let i = 0; i < 2; i++) {
      await other.ok(
        other.call("POST", "/v1/package-orders", {
          channel: "POS",
          payment_method: "balance",
          rule_key: "quarterly",
          package_id: pkg,
          member_id: m,
        }),
        201,
      );
    }
    // The other tenant's ledger refuses every transfer: its renewal gift cannot be given until
    // an operator looks.
    await w.t.database.owner
      .updateTable("ledger_accounts")
      .set({ closed: true })
      .where("tenant_id", "=", other.tenant.tenantId)
      .execute();

    w.t.clock.set(good.first.period!.ends_at);
    w.t.clock.advance(DAY);
    await expect(runPackageExpiry(w.t.deps)).rejects.toThrow(other.tenant.tenantId);
    expect((await order(good.renewal.id)).points_awarded).toBe(400);
    expect((await w.balance(good.m)).points).toBe(400);
    await trail().ledgerClean();
  });
});
