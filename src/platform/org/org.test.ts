import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { giftCardClient } from "../../../test/helpers/giftcards.js";
import { raceForLastPlace } from "../../../test/helpers/last-place.js";
import { expectProblem, type InjectedResponse } from "../../../test/helpers/problem.js";
import { topupClient } from "../../../test/helpers/topup.js";
import { systemActor } from "../auth/actor.js";
import { moveUnit } from "./org-unit-changes.js";
import { updateStoreGroup } from "./store-groups.js";

let t: TestApp;
let tenant: TestTenant;
let rootId: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  rootId = tenant.rootOrgUnitId;
});
afterAll(async () => t?.close());

interface Unit {
  id: string;
  parent_id: string | null;
  kind: string;
  name: string;
  code: string | null;
}

async function unit(parentId: string, kind: string, name: string, headers = tenant.auth): Promise<Unit> {
  const response = await t.app.inject({
    method: "POST",
    url: "/v1/org-units",
    headers,
    payload: { parent_id: parentId, kind, name },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<Unit>(response);
}

const ids = (response: InjectedResponse) =>
  (JSON.parse(response.body) as { data: { id: string }[] }).data.map((u) => u.id);
const get = (url: string, headers = tenant.auth) => t.app.inject({ url, headers });

async function pathOf(id: string) {
  const row = await t.database.owner
    .selectFrom("org_units")
    .select("path")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.path;
}

describe("org units", () => {
  it("creates, reads, lists, updates and deletes units, with audit entries", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/org-units",
      headers: tenant.auth,
      payload: {
        parent_id: rootId,
        kind: "distributor",
        name: "North",
        code: "N-1",
        metadata: { region: "n" },
      },
    });
    expect(created.statusCode).toBe(201);
    const north = json<Unit>(created);
    expect(north).toMatchObject({ object: "org_unit", parent_id: rootId, kind: "distributor", code: "N-1" });
    expect(created.body).not.toContain("path");
    const reseller = await unit(north.id, "reseller", "North reseller");
    const customer = await unit(reseller.id, "customer", "North customer");
    expect(await pathOf(customer.id)).toBe(`/${rootId}/${north.id}/${reseller.id}/${customer.id}/`);

    expect(json(await get(`/v1/org-units/${reseller.id}`))).toMatchObject({
      id: reseller.id,
      name: "North reseller",
    });
    expect(ids(await get(`/v1/org-units?parent_id=${north.id}`))).toEqual([reseller.id]);
    expect(ids(await get(`/v1/org-units?subtree_of=${north.id}`))).toEqual([
      north.id,
      reseller.id,
      customer.id,
    ]);
    expect(ids(await get(`/v1/org-units?subtree_of=${north.id}&kind=customer`))).toEqual([customer.id]);
    const page = json<{ data: { id: string }[]; has_more: boolean }>(
      await get(`/v1/org-units?subtree_of=${north.id}&limit=2`),
    );
    expect(page.has_more).toBe(true);
    expect(ids(await get(`/v1/org-units?subtree_of=${north.id}&starting_after=${page.data[1]!.id}`))).toEqual(
      [customer.id],
    );

    const patched = await t.app.inject({
      method: "PATCH",
      url: `/v1/org-units/${reseller.id}`,
      headers: tenant.auth,
      payload: { name: "Renamed", code: "R-1", metadata: { tier: 2 } },
    });
    expect(json(patched)).toMatchObject({ name: "Renamed", code: "R-1", metadata: { tier: 2 } });
    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/org-units/${customer.id}`,
        headers: tenant.auth,
        payload: { code: "N-1" },
      }),
      409,
      "org_unit_code_taken",
    );

    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/org-units/${reseller.id}`, headers: tenant.auth }),
      409,
      "org_unit_in_use",
    );
    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/org-units/${rootId}`, headers: tenant.auth }),
      422,
      "org_unit_is_root",
    );
    const deleted = await t.app.inject({
      method: "DELETE",
      url: `/v1/org-units/${customer.id}`,
      headers: tenant.auth,
    });
    expect(deleted.statusCode).toBe(204);
    expectProblem(await get(`/v1/org-units/${customer.id}`), 404, "org_unit_not_found");

    const events = await t.database.owner
      .selectFrom("audit_events")
      .select(["action", "target_id"])
      .where("target_type", "=", "org_unit")
      .where("target_id", "in", [north.id, reseller.id, customer.id])
      .orderBy("id")
      .execute();
    expect(events.map((e) => e.action)).toEqual([
      "org_unit.created",
      "org_unit.created",
      "org_unit.created",
      "org_unit.updated",
      "org_unit.deleted",
    ]);
  });

  it("refuses unknown kinds, unknown fields, oversized metadata and missing parents", async () => {
    const post = (payload: object) =>
      t.app.inject({ method: "POST", url: "/v1/org-units", headers: tenant.auth, payload });
    expectProblem(await post({ parent_id: rootId, kind: "galaxy", name: "x" }), 400, "validation_failed");
    expectProblem(
      await post({ parent_id: rootId, kind: "store", name: "x", colour: 1 }),
      400,
      "validation_failed",
    );
    expectProblem(
      await post({ parent_id: rootId, kind: "store", name: "x", metadata: { blob: "x".repeat(5000) } }),
      400,
      "validation_failed",
    );
    expectProblem(
      await post({ parent_id: "org_missing", kind: "store", name: "x" }),
      404,
      "org_unit_not_found",
    );
  });

  it("moves a unit with its whole subtree and refuses cycles and the root", async () => {
    const east = await unit(rootId, "distributor", "East");
    const west = await unit(rootId, "distributor", "West");
    const reseller = await unit(east.id, "reseller", "R");
    const customer = await unit(reseller.id, "customer", "C");
    const member = await unit(customer.id, "member_account", "M");
    const move = (id: string, parentId: string, headers = tenant.auth) =>
      t.app.inject({
        method: "POST",
        url: `/v1/org-units/${id}/move`,
        headers,
        payload: { parent_id: parentId },
      });

    const moved = await move(reseller.id, west.id);
    expect(json(moved)).toMatchObject({ id: reseller.id, parent_id: west.id });
    expect(await pathOf(reseller.id)).toBe(`/${rootId}/${west.id}/${reseller.id}/`);
    expect(await pathOf(customer.id)).toBe(`/${rootId}/${west.id}/${reseller.id}/${customer.id}/`);
    expect(await pathOf(member.id)).toBe(`/${rootId}/${west.id}/${reseller.id}/${customer.id}/${member.id}/`);
    expect(ids(await get(`/v1/org-units?subtree_of=${east.id}`))).toEqual([east.id]);

    expectProblem(await move(reseller.id, customer.id), 422, "org_unit_move_cycle");
    expectProblem(await move(reseller.id, reseller.id), 422, "org_unit_move_cycle");
    expectProblem(await move(rootId, east.id), 422, "org_unit_is_root");
    expect(await pathOf(customer.id)).toBe(`/${rootId}/${west.id}/${reseller.id}/${customer.id}/`);

    const events = await t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("action", "=", "org_unit.moved")
      .where("target_id", "=", reseller.id)
      .execute();
    expect(events.map((e) => e.summary)).toEqual([
      { before: { parent_id: east.id }, after: { parent_id: west.id }, units_moved: 3 },
    ]);
  });

  it("two crossing moves never make a cycle", async () => {
    const a = await unit(rootId, "distributor", "A");
    const b = await unit(rootId, "distributor", "B");
    const [ab, ba] = await Promise.all([
      t.app.inject({
        method: "POST",
        url: `/v1/org-units/${a.id}/move`,
        headers: tenant.auth,
        payload: { parent_id: b.id },
      }),
      t.app.inject({
        method: "POST",
        url: `/v1/org-units/${b.id}/move`,
        headers: tenant.auth,
        payload: { parent_id: a.id },
      }),
    ]);
    expect([ab.statusCode, ba.statusCode].sort()).toEqual([200, 422]);
    const paths = [await pathOf(a.id), await pathOf(b.id)];
    expect(paths.filter((p) => p.split("/").length > 4)).toHaveLength(1);
  });

  it("an actor bound to a unit sees and changes only its subtree", async () => {
    const dist = await unit(rootId, "distributor", "Dist");
    const mine = await unit(dist.id, "reseller", "Mine");
    const theirs = await unit(dist.id, "reseller", "Theirs");
    const myCustomer = await unit(mine.id, "customer", "My customer");
    const theirCustomer = await unit(theirs.id, "customer", "Their customer");
    const reseller = await createTestKey(t, tenant.tenantId, "admin", mine.id);

    expect(ids(await get("/v1/org-units?limit=100", reseller.auth))).toEqual([mine.id, myCustomer.id]);
    expect(ids(await get(`/v1/org-units?subtree_of=${mine.id}`, reseller.auth))).toEqual([
      mine.id,
      myCustomer.id,
    ]);
    expectProblem(await get(`/v1/org-units?subtree_of=${dist.id}`, reseller.auth), 404, "org_unit_not_found");
    expectProblem(
      await get(`/v1/org-units?parent_id=${theirs.id}`, reseller.auth),
      404,
      "org_unit_not_found",
    );
    for (const request of [
      { method: "GET" as const, url: `/v1/org-units/${theirCustomer.id}` },
      { method: "GET" as const, url: `/v1/org-units/${dist.id}` },
      { method: "PATCH" as const, url: `/v1/org-units/${theirCustomer.id}`, payload: { name: "x" } },
      { method: "DELETE" as const, url: `/v1/org-units/${theirCustomer.id}` },
      {
        method: "POST" as const,
        url: `/v1/org-units/${theirCustomer.id}/move`,
        payload: { parent_id: mine.id },
      },
      {
        method: "POST" as const,
        url: `/v1/org-units/${myCustomer.id}/move`,
        payload: { parent_id: theirs.id },
      },
      {
        method: "POST" as const,
        url: "/v1/org-units",
        payload: { parent_id: theirs.id, kind: "customer", name: "x" },
      },
    ]) {
      expectProblem(await t.app.inject({ ...request, headers: reseller.auth }), 404, "org_unit_not_found");
    }
    // Inside its subtree it works.
    const added = await unit(mine.id, "customer", "Added", reseller.auth);
    expect(await pathOf(added.id)).toBe(`/${rootId}/${dist.id}/${mine.id}/${added.id}/`);
    expect(await pathOf(theirCustomer.id)).toBe(`/${rootId}/${dist.id}/${theirs.id}/${theirCustomer.id}/`);
    const names = await t.database.owner
      .selectFrom("org_units")
      .select("name")
      .where("id", "=", theirCustomer.id)
      .executeTakeFirstOrThrow();
    expect(names.name).toBe("Their customer");
  });

  it("a key bound to a moved unit sees its subtree where the move put it, at once", async () => {
    const from = await unit(rootId, "distributor", "Moved from");
    const to = await unit(rootId, "distributor", "Moved to");
    const reseller = await unit(from.id, "reseller", "Moving reseller");
    const customer = await unit(reseller.id, "customer", "Its customer");
    const key = await createTestKey(t, tenant.tenantId, "admin", reseller.id);
    expect((await get(`/v1/org-units/${customer.id}`, key.auth)).statusCode).toBe(200);
    const moved = await t.app.inject({
      method: "POST",
      url: `/v1/org-units/${reseller.id}/move`,
      headers: { ...tenant.auth, "idempotency-key": `move-${reseller.id}` },
      payload: { parent_id: to.id },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((await get(`/v1/org-units/${customer.id}`, key.auth)).statusCode).toBe(200);
    expect(ids(await get("/v1/org-units?limit=100", key.auth))).toEqual([reseller.id, customer.id]);
  });

  it("another tenant's units answer 404", async () => {
    const other = await createTestTenant(t, "Other");
    const north = await unit(rootId, "distributor", "Foreign target");
    for (const request of [
      { method: "GET" as const, url: `/v1/org-units/${north.id}` },
      { method: "GET" as const, url: `/v1/org-units?subtree_of=${north.id}` },
      { method: "PATCH" as const, url: `/v1/org-units/${north.id}`, payload: { name: "x" } },
      { method: "DELETE" as const, url: `/v1/org-units/${north.id}` },
      {
        method: "POST" as const,
        url: `/v1/org-units/${north.id}/move`,
        payload: { parent_id: other.rootOrgUnitId },
      },
      {
        method: "POST" as const,
        url: "/v1/org-units",
        payload: { parent_id: north.id, kind: "store", name: "x" },
      },
    ]) {
      expectProblem(await t.app.inject({ ...request, headers: other.auth }), 404, "org_unit_not_found");
    }
  });
});

describe("store groups", () => {
  it("groups stores, validates ids, kind and scope, and stays in its owner's subtree", async () => {
    const region = await unit(rootId, "distributor", "Region");
    const s1 = await unit(region.id, "store", "Store 1");
    const s2 = await unit(region.id, "store", "Store 2");
    const elsewhere = await unit(rootId, "distributor", "Elsewhere");
    const s3 = await unit(elsewhere.id, "store", "Store 3");
    const post = (payload: object, headers: Record<string, string> = tenant.auth) =>
      t.app.inject({ method: "POST", url: "/v1/store-groups", headers, payload });

    const created = await post(
      { name: "All", store_ids: [s1.id, s2.id, s3.id] },
      { ...tenant.auth, "idempotency-key": "sg-1" },
    );
    expect(created.statusCode, created.body).toBe(201);
    const all = json<{ id: string; store_ids: string[]; org_unit_id: string | null }>(created);
    expect(all).toMatchObject({ object: "store_group", org_unit_id: null, store_ids: [s1.id, s2.id, s3.id] });
    expect(
      json(
        await post(
          { name: "All", store_ids: [s1.id, s2.id, s3.id] },
          { ...tenant.auth, "idempotency-key": "sg-1" },
        ),
      ),
    ).toEqual(all);

    expectProblem(await post({ name: "x", store_ids: [region.id] }), 422, "not_a_store");
    expectProblem(await post({ name: "x", store_ids: ["org_missing"] }), 404, "store_not_found");
    expectProblem(await post({ name: "x", store_ids: [s1.id, s1.id] }), 400, "validation_failed");
    expectProblem(
      await post({ name: "x", org_unit_id: region.id, store_ids: [s3.id] }),
      422,
      "store_outside_group_unit",
    );

    const regional = await createTestKey(t, tenant.tenantId, "admin", region.id);
    expectProblem(await post({ name: "x", store_ids: [s3.id] }, regional.auth), 404, "store_not_found");
    const mine = json<{ id: string; org_unit_id: string }>(
      await post({ name: "Mine", store_ids: [s1.id] }, regional.auth),
    );
    expect(mine.org_unit_id).toBe(region.id);
    expect(ids(await get("/v1/store-groups?limit=100", regional.auth))).toEqual([mine.id]);
    expectProblem(await get(`/v1/store-groups/${all.id}`, regional.auth), 404, "store_group_not_found");
    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/store-groups/${all.id}`, headers: regional.auth }),
      404,
      "store_group_not_found",
    );
    expect(ids(await get(`/v1/store-groups?store_id=${s3.id}`))).toEqual([all.id]);

    const patched = await t.app.inject({
      method: "PATCH",
      url: `/v1/store-groups/${mine.id}`,
      headers: regional.auth,
      payload: { name: "Mine 2", store_ids: [s1.id, s2.id] },
    });
    expect(json(patched)).toMatchObject({ name: "Mine 2", store_ids: [s1.id, s2.id] });
    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/store-groups/${mine.id}`,
        headers: regional.auth,
        payload: { store_ids: [s3.id] },
      }),
      404,
      "store_not_found",
    );

    // A store in a group can't be deleted; the group first.
    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/org-units/${s3.id}`, headers: tenant.auth }),
      409,
      "org_unit_in_use",
    );
    expect(
      (await t.app.inject({ method: "DELETE", url: `/v1/store-groups/${all.id}`, headers: tenant.auth }))
        .statusCode,
    ).toBe(204);
    expect(
      (await t.app.inject({ method: "DELETE", url: `/v1/org-units/${s3.id}`, headers: tenant.auth }))
        .statusCode,
    ).toBe(204);

    const events = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("target_type", "=", "store_group")
      .orderBy("id")
      .execute();
    expect(events.map((e) => e.action)).toEqual([
      "store_group.created",
      "store_group.created",
      "store_group.updated",
      "store_group.deleted",
    ]);

    const other = await createTestTenant(t, "Other groups");
    expectProblem(await get(`/v1/store-groups/${mine.id}`, other.auth), 404, "store_group_not_found");
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/store-groups",
        headers: other.auth,
        payload: { name: "x", store_ids: [s1.id] },
      }),
      404,
      "store_not_found",
    );
  });
});

describe("moves and store groups", () => {
  const move = (id: string, parentId: string) =>
    t.app.inject({
      method: "POST",
      url: `/v1/org-units/${id}/move`,
      headers: tenant.auth,
      payload: { parent_id: parentId },
    });

  it("refuses to move a store out of the unit whose store group holds it; the group's owner moves with its stores", async () => {
    const north = await unit(rootId, "organization", "North region");
    const south = await unit(rootId, "organization", "South region");
    const shop = await unit(north.id, "store", "North shop");
    const group = await t.app.inject({
      method: "POST",
      url: "/v1/store-groups",
      headers: tenant.auth,
      payload: { name: "North shops", org_unit_id: north.id, store_ids: [shop.id] },
    });
    expect(group.statusCode, group.body).toBe(201);
    const before = await pathOf(shop.id);

    expectProblem(await move(shop.id, south.id), 409, "org_unit_in_use");
    expect(await pathOf(shop.id)).toBe(before);

    // A unit of the group's own subtree may move inside it, and the owner may move with its stores.
    const district = await unit(north.id, "organization", "North district");
    expect((await move(shop.id, district.id)).statusCode).toBe(200);
    expect((await move(north.id, south.id)).statusCode).toBe(200);
    expect(await pathOf(shop.id)).toBe(`/${rootId}/${south.id}/${north.id}/${district.id}/${shop.id}/`);
  });

  it("a group change beside a move sees where the store is going", async () => {
    const north = await unit(rootId, "organization", "North (race)");
    const south = await unit(rootId, "organization", "South (race)");
    const shop = await unit(north.id, "store", "North shop (race)");
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/store-groups",
      headers: tenant.auth,
      payload: { name: "North shops (race)", org_unit_id: north.id, store_ids: [] },
    });
    const group = json<{ id: string }>(created);
    const ctx = { actor: systemActor(tenant.tenantId, "test"), requestId: null };
    const second = await raceForLastPlace(t, tenant.tenantId, (trx, which) =>
      which === "first"
        ? moveUnit(trx, ctx, { id: shop.id, parentId: south.id }, t.clock.now())
        : updateStoreGroup(trx, ctx, { id: group.id, store_ids: [shop.id] }, t.clock.now()),
    );
    expect(second.status).toBe("rejected");
    expect((second as PromiseRejectedResult).reason).toMatchObject({ code: "store_outside_group_unit" });
    expect(json<{ store_ids: string[] }>(await get(`/v1/store-groups/${group.id}`)).store_ids).toEqual([]);
  });
});

describe("store scopes", () => {
  it("a store or store group named in the store scope of a live plan or a usable gift card is not deleted", async () => {
    const del = (url: string) => t.app.inject({ method: "DELETE", url, headers: tenant.auth });
    const scoped = await unit(rootId, "store", "Scoped store");
    const grouped = await unit(rootId, "store", "Grouped store");
    const group = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/store-groups",
        headers: tenant.auth,
        payload: { name: "Scoped group", store_ids: [grouped.id] },
      }),
    );
    const topups = topupClient(t, tenant);
    const plan = await topups.plan({
      kind: "package",
      name: "Group only",
      rule: { type: "range", min_amount: 100, max_amount: 50_000, bonus_bps: 0, points_bps: 0 },
      store_scope: { store_groups: [group.id] },
    });
    const groupRefusal = expectProblem(await del(`/v1/store-groups/${group.id}`), 409, "store_group_in_use");
    expect(groupRefusal.detail).toContain(plan);
    // The plan still takes an edit that does not touch its scope.
    expect(
      (await topups.call("PATCH", `/v1/topup-plans/${plan}`, { name: "Group only, renamed" })).statusCode,
    ).toBe(200);

    const cards = giftCardClient(t, tenant);
    const cardPlan = await cards.activePlan({ store_scope: { stores: [scoped.id] } });
    const unitRefusal = expectProblem(await del(`/v1/org-units/${scoped.id}`), 409, "org_unit_in_use");
    expect(unitRefusal.detail).toContain(cardPlan);

    // An archived plan's scope holds nothing back.
    await topups.ok("POST", `/v1/topup-plans/${plan}/deactivate`, {});
    await topups.ok("POST", `/v1/topup-plans/${plan}/archive`, {});
    expect((await del(`/v1/store-groups/${group.id}`)).statusCode).toBe(204);
  });
});
