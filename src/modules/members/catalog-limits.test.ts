import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { raceForLastPlace } from "../../../test/helpers/last-place.js";
import { systemActor } from "../../platform/auth/actor.js";
import { createCardPlan } from "./card-plans.js";
import { createLabel } from "./labels.js";
import { CATALOG_LIMITS } from "./members.repository.js";

/**
 * A tenant's count limits on card plans, groups and tags hold when two creations race at the
 * last free place: one transaction has created the last plan (or label) and not yet committed
 * when the other counts.
 */
let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const ctx = () => ({ actor: systemActor(tenant.tenantId, "test"), requestId: null });

/** Fills a catalog table up to one below its limit, straight in the database. */
async function fillTo(table: "card_plans" | "member_groups" | "member_tags", count: number) {
  const now = t.clock.now();
  const prefix = table === "card_plans" ? "cplan" : table === "member_groups" ? "mgrp" : "mtag";
  const rows = Array.from({ length: count }, (_, i) => ({
    tenant_id: tenant.tenantId,
    id: `${prefix}_fill${i}`,
    code: `fill_${i}`,
    name: `Fill ${i}`,
    created_at: now,
    updated_at: now,
    ...(table === "card_plans" ? { validity_kind: "permanent", validity_days: null, archived_at: null } : {}),
  }));
  await t.database.owner
    .insertInto(table)
    .values(rows as never)
    .execute();
}

describe("catalog count limits under concurrent creation", () => {
  it("a tenant never holds more card plans than the limit", async () => {
    await fillTo("card_plans", CATALOG_LIMITS.plans - 1);
    const second = await raceForLastPlace(t, tenant.tenantId, (trx, code) =>
      createCardPlan(
        trx,
        ctx(),
        { code, name: code, validity: { kind: "permanent" }, tiers: [] },
        t.clock.now(),
      ),
    );
    expect(second.status).toBe("rejected");
    expect((second as PromiseRejectedResult).reason).toMatchObject({ code: "limit_exceeded" });
    const n = await t.database.owner
      .selectFrom("card_plans")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("tenant_id", "=", tenant.tenantId)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(CATALOG_LIMITS.plans);
  });

  for (const kind of ["group", "tag"] as const) {
    it(`a tenant never holds more member ${kind}s than the limit`, async () => {
      const table = kind === "group" ? "member_groups" : "member_tags";
      await fillTo(table, CATALOG_LIMITS[kind === "group" ? "groups" : "tags"] - 1);
      const second = await raceForLastPlace(t, tenant.tenantId, (trx, code) =>
        createLabel(trx, ctx(), kind, { code, name: code }, t.clock.now()),
      );
      expect(second.status).toBe("rejected");
      expect((second as PromiseRejectedResult).reason).toMatchObject({ code: "limit_exceeded" });
      const n = await t.database.owner
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("tenant_id", "=", tenant.tenantId)
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(CATALOG_LIMITS[kind === "group" ? "groups" : "tags"]);
    });
  }
});
