import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { raceForLastPlace } from "../../../test/helpers/last-place.js";
import { createEndpoint, MAX_ENDPOINTS_PER_TENANT } from "./webhooks.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const endpoint = (name: string) => ({ url: `https://hooks.example.com/${name}`, eventTypes: ["*"] });

describe("webhook endpoints: a tenant's limit", () => {
  it("holds when two endpoints are registered at the last free place", async () => {
    for (let i = 0; i < MAX_ENDPOINTS_PER_TENANT - 1; i++) {
      await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        createEndpoint(trx, tenant.tenantId, endpoint(`fill-${i}`), false, t.clock.now()),
      );
    }
    const second = await raceForLastPlace(t, tenant.tenantId, (trx, name) =>
      createEndpoint(trx, tenant.tenantId, endpoint(name), false, t.clock.now()),
    );
    expect(second.status).toBe("rejected");
    expect((second as PromiseRejectedResult).reason).toMatchObject({ code: "webhook_endpoint_limit" });
    const n = await t.database.owner
      .selectFrom("webhook_endpoints")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("tenant_id", "=", tenant.tenantId)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(MAX_ENDPOINTS_PER_TENANT);
  });
});
