import { Type } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { buildApp, MANIFESTS } from "../../app.js";
import type { ModuleManifest } from "../../app-types.js";
import { valueRoute } from "./value-route.js";

/**
 * valueRoute: the route's `idempotent` flag decides whether a retry with the same key
 * replays; the app refuses an idempotent route that is not a value route, and an error
 * code no manifest declares.
 */
let t: TestApp;
let tenant: TestTenant;
let runs = 0;

const probe: ModuleManifest = {
  name: "probe",
  permissions: { "probe.use": ["owner"] },
  routes: async (app, deps) => {
    for (const idempotent of [true, false]) {
      valueRoute(app, deps, {
        method: "POST",
        url: `/v1/probe/${idempotent ? "idempotent" : "plain"}`,
        config: { permission: "probe.use", idempotent },
        schema: { body: Type.Object({ n: Type.Integer() }) },
        status: 201,
        input: ({ body }) => body.n,
        op: async (uow, ctx, n) => ({ n, run: ++runs, tenant: uow.tenantId, actor: ctx.actor.id }),
        respond: (result) => result,
      });
    }
    valueRoute(app, deps, {
      method: "POST",
      url: "/v1/probe/with-query",
      config: { permission: "probe.use", idempotent: true },
      schema: {
        body: Type.Object({ n: Type.Integer() }),
        querystring: Type.Object({ purpose: Type.String() }),
      },
      status: 201,
      input: ({ body, query }) => ({ n: body.n, purpose: query.purpose }),
      op: async (_uow, _ctx, input) => ({ ...input, run: ++runs }),
      respond: (result) => result,
    });
  },
};

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

async function withProbe(extra: ModuleManifest) {
  return buildApp(t.deps, { manifests: [...MANIFESTS, extra] });
}

describe("valueRoute", () => {
  it("replays under the same key only where the route says idempotent", async () => {
    const app = await withProbe(probe);
    try {
      const post = (path: string) =>
        app.inject({
          method: "POST",
          url: `/v1/probe/${path}`,
          headers: { ...tenant.auth, "idempotency-key": `key-${path}` },
          payload: { n: 7 },
        });
      const first = await post("idempotent");
      const again = await post("idempotent");
      expect(first.statusCode).toBe(201);
      expect(again.headers["idempotent-replayed"]).toBe("true");
      expect(json(again)).toEqual(json(first));
      expect(json<{ tenant: string; n: number }>(first)).toMatchObject({ tenant: tenant.tenantId, n: 7 });

      const plainFirst = json<{ run: number }>(await post("plain"));
      const plainAgain = json<{ run: number }>(await post("plain"));
      expect(plainAgain.run).toBe(plainFirst.run + 1);
    } finally {
      await app.close();
    }
  });

  it("refuses a key reused with another query string instead of replaying the first answer", async () => {
    const app = await withProbe(probe);
    try {
      const post = (purpose: string) =>
        app.inject({
          method: "POST",
          url: `/v1/probe/with-query?purpose=${purpose}`,
          headers: { ...tenant.auth, "idempotency-key": "key-with-query" },
          payload: { n: 9 },
        });
      const first = await post("cover");
      expect(json(first)).toMatchObject({ purpose: "cover" });
      const again = await post("cover");
      expect(again.headers["idempotent-replayed"]).toBe("true");
      expect(json(again)).toEqual(json(first));
      const other = await post("icon");
      expect(other.statusCode, other.body).toBe(422);
      expect(json(other)).toMatchObject({ code: "idempotency_key_reused" });
    } finally {
      await app.close();
    }
  });

  it("answers a replay from the stored response in one database round trip", async () => {
    const app = await withProbe(probe);
    try {
      const trips = () => roundTripsOf(app, "POST", "/v1/probe/idempotent");
      const post = () =>
        app.inject({
          method: "POST",
          url: "/v1/probe/idempotent",
          headers: { ...tenant.auth, "idempotency-key": "key-one-trip" },
          payload: { n: 8 },
        });
      expect((await post()).statusCode).toBe(201);
      const perReplay: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = await trips();
        const replayed = await post();
        expect(replayed.headers["idempotent-replayed"]).toBe("true");
        const after = await trips();
        expect(after.count - before.count).toBe(1);
        perReplay.push(after.sum - before.sum);
      }
      // Authentication keeps a key it looked up for 3 s (api-keys.ts), counted from the look-up;
      // a replay that comes after that also looks the key up again. On a slow machine one of
      // three replays in a row may do so, never all of them.
      expect(Math.min(...perReplay)).toBe(1);
      expect(Math.max(...perReplay)).toBeLessThanOrEqual(2);
    } finally {
      await app.close();
    }
  });

  it("refuses to start an idempotent route that is not a value route, or an unknown error code", async () => {
    const handRolled: ModuleManifest = {
      name: "hand-rolled",
      routes: async (app) => {
        app.post(
          "/v1/hand-rolled",
          { config: { permission: "tenant.read", idempotent: true } },
          async () => ({ ok: true }),
        );
      },
    };
    await expect(withProbe(handRolled)).rejects.toThrow(/is idempotent but its handler is no valueRoute/);
    const typo: ModuleManifest = {
      name: "typo",
      routes: async (app) => {
        app.get(
          "/v1/typo",
          { config: { permission: "tenant.read", errors: ["no_such_code"] } },
          async () => ({}),
        );
      },
    };
    await expect(withProbe(typo)).rejects.toThrow(/unknown error code no_such_code/);
  });
});
