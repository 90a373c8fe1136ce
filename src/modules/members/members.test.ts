import ExcelJS from "exceljs";
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
import { expectProblem } from "../../../test/helpers/problem.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { inflatingXlsx } from "../../../test/helpers/zip.js";
import { type Actor, systemActor } from "../../platform/auth/actor.js";
import { MAX_IMPORT_BYTES } from "./import-members.js";
import { changeMemberTier, loadMemberFactsAndTiers, memberFactsFromRows, memberFactsReads } from "./index.js";

let t: TestApp;
let tenant: TestTenant;

type Body = Record<string, unknown>;
async function call(method: "GET" | "POST" | "PATCH", url: string, payload?: object, headers = tenant.auth) {
  return t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
}
async function created(url: string, payload: object) {
  const r = await call("POST", url, payload);
  expect(r.statusCode, r.body).toBe(201);
  return json<Body & { id: string }>(r);
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await created("/v1/card-plans", {
    code: "standard",
    name: "Standard",
    validity: { kind: "permanent" },
    tiers: [
      { code: "silver", name: "Silver", rank: 1 },
      { code: "gold", name: "Gold", rank: 2 },
      { code: "platinum", name: "Platinum", rank: 3 },
    ],
  });
  await created("/v1/card-plans", {
    code: "student",
    name: "Student",
    validity: { kind: "relative", days: 365 },
    tiers: [{ code: "s_silver", name: "Student silver", rank: 1 }],
  });
  await created("/v1/member-groups", { code: "vip", name: "VIP" });
  await created("/v1/member-tags", { code: "coffee", name: "Coffee lover" });
});
afterAll(async () => t?.close());

describe("card plans and tiers", () => {
  it("lists plans with tiers in rank order", async () => {
    const r = await call("GET", "/v1/card-plans");
    const plans = json<{ data: { code: string; tiers: { code: string }[]; validity: Body }[] }>(r).data;
    expect(plans.map((p) => p.code)).toEqual(["standard", "student"]);
    expect(plans[0]!.tiers.map((x) => x.code)).toEqual(["silver", "gold", "platinum"]);
    expect(plans[1]!.validity).toEqual({ kind: "relative", days: 365 });
  });

  it("refuses a duplicate plan code, a duplicate tier code and a duplicate rank", async () => {
    const base = { name: "X", validity: { kind: "permanent" } };
    expectProblem(
      await call("POST", "/v1/card-plans", { ...base, code: "standard", tiers: [] }),
      409,
      "code_taken",
    );
    expectProblem(
      await call("POST", "/v1/card-plans", {
        ...base,
        code: "other",
        tiers: [{ code: "gold", name: "G", rank: 1 }],
      }),
      409,
      "code_taken",
    );
    expectProblem(
      await call("POST", "/v1/card-plans", {
        ...base,
        code: "other2",
        tiers: [
          { code: "a1", name: "A", rank: 1 },
          { code: "a2", name: "B", rank: 1 },
        ],
      }),
      409,
      "tier_rank_taken",
    );
    const list = json<{ data: unknown[] }>(await call("GET", "/v1/card-plans")).data;
    expect(list).toHaveLength(2);
  });

  it("only tenant managers edit the catalog", async () => {
    const operator = await createTestKey(t, tenant.tenantId, "operator");
    expectProblem(
      await call("POST", "/v1/member-tags", { code: "x", name: "X" }, operator.auth),
      403,
      "forbidden",
    );
  });

  it("a manager bound to a store changes none of the tenant's plans, groups or tags", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const store = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Catalog store");
    const scoped = await createTestKey(t, tenant.tenantId, "admin", store.id);
    const headers = scoped.auth;
    const plan = { code: "scoped", name: "Scoped", validity: { kind: "permanent" }, tiers: [] };
    expectProblem(await call("POST", "/v1/card-plans", plan, headers), 403, "forbidden");
    for (const kind of ["groups", "tags"]) {
      expectProblem(
        await call("POST", `/v1/member-${kind}`, { code: `scoped_${kind}`, name: "Mine" }, headers),
        403,
        "forbidden",
      );
      const label = json<{ data: { id: string; name: string }[] }>(await call("GET", `/v1/member-${kind}`))
        .data[0]!;
      expectProblem(
        await call("PATCH", `/v1/member-${kind}/${label.id}`, { name: "Renamed by a store" }, scoped.auth),
        403,
        "forbidden",
      );
      const after = json<{ data: { id: string; name: string; code: string }[] }>(
        await call("GET", `/v1/member-${kind}`),
      ).data;
      expect(after.find((l) => l.id === label.id)!.name).toBe(label.name);
      expect(after.map((l) => l.code)).not.toContain(`scoped_${kind}`);
    }
  });
});

describe("members", () => {
  let gold: string;
  let silver: string;
  let student: string;

  it("registers members with plan, tier, groups, tags and birthday", async () => {
    const m = await created("/v1/members", {
      name: "Ada",
      external_ref: "crm-1",
      phone: "13800000001",
      birthday: "03-15",
      tier: "gold",
      groups: ["vip"],
      tags: ["coffee"],
    });
    gold = m.id;
    expect(m).toMatchObject({
      card_plan: "standard",
      tier: "gold",
      groups: ["vip"],
      tags: ["coffee"],
      birthday: "03-15",
      status: "active",
      card_expires_at: null,
    });
    silver = (await created("/v1/members", { name: "Bob", card_plan: "standard", birthday: "1990-02-28" }))
      .id;
    const s = await created("/v1/members", { name: "Cleo", card_plan: "student", student: true });
    student = s.id;
    expect(s.tier).toBe("s_silver");
    expect(s.card_expires_at).toBe(new Date(t.clock.now().getTime() + 365 * 86_400_000).toISOString());
    const silverMember = json<Body>(await call("GET", `/v1/members/${silver}`));
    expect(silverMember).toMatchObject({ tier: "silver", birthday: "1990-02-28" });
  });

  it("refuses bad input and writes nothing", async () => {
    expectProblem(
      await call("POST", "/v1/members", { name: "X", external_ref: "crm-1" }),
      409,
      "external_ref_taken",
    );
    expectProblem(
      await call("POST", "/v1/members", { name: "X", birthday: "02-30" }),
      400,
      "invalid_birthday",
    );
    expectProblem(
      await call("POST", "/v1/members", { name: "X", birthday: "1991-02-29" }),
      400,
      "invalid_birthday",
    );
    expectProblem(
      await call("POST", "/v1/members", { name: "X", tier: "diamond" }),
      404,
      "card_tier_not_found",
    );
    expectProblem(
      await call("POST", "/v1/members", { name: "X", card_plan: "student", tier: "gold" }),
      422,
      "tier_not_in_plan",
    );
    expectProblem(
      await call("POST", "/v1/members", { name: "X", groups: ["nope"] }),
      404,
      "member_group_not_found",
    );
    expectProblem(await call("POST", "/v1/members", { name: "", phone: "1" }), 400, "validation_failed");
    const all = json<{ data: unknown[] }>(await call("GET", "/v1/members?limit=100")).data;
    expect(all).toHaveLength(3);
  });

  it("refuses metadata past its documented 4 KiB, on register and on change, writing nothing", async () => {
    const big = { notes: "x".repeat(5000) };
    expectProblem(
      await call("POST", "/v1/members", { name: "Big", metadata: big }),
      400,
      "validation_failed",
    );
    expect(json<{ data: unknown[] }>(await call("GET", "/v1/members?q=Big")).data).toHaveLength(0);
    expectProblem(await call("PATCH", `/v1/members/${gold}`, { metadata: big }), 400, "validation_failed");
    expect(json<Body>(await call("GET", `/v1/members/${gold}`)).metadata).toEqual({});
    const fits = await call("PATCH", `/v1/members/${gold}`, { metadata: { notes: "x".repeat(3000) } });
    expect(fits.statusCode, fits.body).toBe(200);
    await call("PATCH", `/v1/members/${gold}`, { metadata: {} });
  });

  it("refuses a time the schema's date-time allows but no clock can hold, instead of failing", async () => {
    // A leap second and an offset of hours only: valid RFC 3339 text, but no JavaScript Date.
    for (const time of ["2026-06-30T23:59:60Z", "2026-06-30T08:00:00+08"]) {
      expectProblem(
        await call("POST", "/v1/members", { name: "Leap", registered_at: time }),
        400,
        "validation_failed",
      );
      expectProblem(
        await call("GET", `/v1/members?registered_from=${encodeURIComponent(time)}`),
        400,
        "validation_failed",
      );
    }
    expect(json<{ data: unknown[] }>(await call("GET", "/v1/members?q=Leap")).data).toHaveLength(0);
  });

  it("filters by tier, tier and above, plan, group, tag, name, phone and registration time", async () => {
    const ids = async (query: string) =>
      json<{ data: { id: string }[] }>(await call("GET", `/v1/members?${query}`))
        .data.map((m) => m.id)
        .sort();
    expect(await ids("tier=gold")).toEqual([gold]);
    expect(await ids("min_tier=silver")).toEqual([gold, silver].sort());
    expect(await ids("min_tier=gold")).toEqual([gold]);
    expect(await ids("card_plan=student")).toEqual([student]);
    expect(await ids("group=vip")).toEqual([gold]);
    expect(await ids("tag=coffee")).toEqual([gold]);
    expect(await ids("tag=unknown")).toEqual([]);
    expect(await ids("q=Bo")).toEqual([silver]);
    expect(await ids("phone=13800000001")).toEqual([gold]);
    t.clock.advance(3_600_000);
    const late = (await created("/v1/members", { name: "Late" })).id;
    expect(await ids(`registered_from=${encodeURIComponent(t.clock.now().toISOString())}`)).toEqual([late]);
    const page = json<{ data: { id: string }[]; has_more: boolean }>(
      await call("GET", "/v1/members?limit=2"),
    );
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const rest = json<{ data: { id: string }[] }>(
      await call("GET", `/v1/members?limit=100&starting_after=${page.data[1]!.id}`),
    );
    expect(rest.data).toHaveLength(2);
  });

  it("keeps a phone as digits however it was typed, and finds it typed either way; one with too few digits is refused", async () => {
    const typed = await created("/v1/members", { name: "Typed phone", phone: "+86 (138) 0000-0777" });
    expect(typed.phone).toBe("+8613800000777");
    const ids = async (query: string) =>
      json<{ data: { id: string }[] }>(await call("GET", `/v1/members?${query}`)).data.map((m) => m.id);
    expect(await ids(`phone=${encodeURIComponent("+86 138 0000 0777")}`)).toEqual([typed.id]);
    expect(await ids(`phone=${encodeURIComponent("+8613800000777")}`)).toEqual([typed.id]);
    expect(await ids(`q=${encodeURIComponent("+86 138-0000-07")}`)).toEqual([typed.id]);
    const changed = json<{ phone: string }>(
      await call("PATCH", `/v1/members/${typed.id}`, { phone: "139 0000 0888" }),
    );
    expect(changed.phone).toBe("13900000888");
    const refused = expectProblem(
      await call("POST", "/v1/members", { name: "Dashes", phone: "(-) 1-2" }),
      400,
      "validation_failed",
    );
    expect(JSON.stringify(refused)).toContain("at least 3 digits");
  });

  it("compares a registration window's ends as instants, whatever their offsets", async () => {
    // 16:00 at +08:00 is 08:00Z: an hour before 09:00Z, though its text sorts after it.
    const window = `registered_from=${encodeURIComponent("2026-11-23T16:00:00+08:00")}&registered_to=${encodeURIComponent("2026-11-23T09:00:00Z")}`;
    const r = await call("GET", `/v1/members?${window}&limit=100`);
    expect(r.statusCode, r.body).toBe(200);
    expect(json<{ data: { id: string }[] }>(r).data.map((m) => m.id)).toContain(gold);
    expectProblem(
      await call(
        "GET",
        `/v1/members?registered_from=2026-11-23T09:00:00Z&registered_to=${encodeURIComponent("2026-11-23T16:00:00+08:00")}`,
      ),
      400,
      "validation_failed",
    );
  });

  it("groups and tags change membership in bulk", async () => {
    const group = json<{ data: { id: string }[] }>(await call("GET", "/v1/member-groups")).data[0]!;
    const r = await call("POST", `/v1/member-groups/${group.id}/members`, {
      add: [silver, gold],
      remove: [],
    });
    expect(json(r)).toMatchObject({ added: 1, removed: 0 });
    expectProblem(
      await call("POST", `/v1/member-groups/${group.id}/members`, { add: ["mbr_nope"] }),
      404,
      "member_not_found",
    );
    const r2 = await call("POST", `/v1/member-groups/${group.id}/members`, { remove: [silver] });
    expect(json(r2)).toMatchObject({ added: 0, removed: 1 });
  });

  it("a bulk change leaves closed members as they were, listing them as skipped, and audits only the open ones", async () => {
    const vip = json<{ data: { id: string; code: string }[] }>(
      await call("GET", "/v1/member-groups"),
    ).data.find((g) => g.code === "vip")!;
    const coffee = json<{ data: { id: string }[] }>(await call("GET", "/v1/member-tags")).data[0]!;
    const open = (await created("/v1/members", { name: "Still here" })).id;
    const closedIn = (await created("/v1/members", { name: "Gone in", groups: ["vip"], tags: ["coffee"] }))
      .id;
    const closedOut = (await created("/v1/members", { name: "Gone out" })).id;
    for (const m of [closedIn, closedOut]) {
      expect((await call("PATCH", `/v1/members/${m}`, { status: "closed" })).statusCode).toBe(200);
    }
    const closedRows = () =>
      t.database.owner
        .selectFrom("members")
        .select(["id", "group_ids", "tag_ids", "updated_at"])
        .where("tenant_id", "=", tenant.tenantId)
        .where("id", "in", [closedIn, closedOut])
        .orderBy("id")
        .execute();
    const before = await closedRows();
    t.clock.advance(1000);

    const r = await call("POST", `/v1/member-groups/${vip.id}/members`, {
      add: [open, closedOut],
      remove: [closedIn],
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(json(r)).toEqual({
      object: "membership_change",
      added: 1,
      removed: 0,
      skipped: [
        { member_id: closedOut, reason: "member_closed" },
        { member_id: closedIn, reason: "member_closed" },
      ],
    });
    const tagged = await call("POST", `/v1/member-tags/${coffee.id}/members`, {
      add: [closedOut],
      remove: [closedIn],
    });
    expect(json(tagged)).toMatchObject({
      added: 0,
      removed: 0,
      skipped: [{ member_id: closedOut }, { member_id: closedIn }],
    });

    const after = await closedRows();
    expect(after).toEqual(before);
    expect(json<{ groups: string[] }>(await call("GET", `/v1/members/${open}`)).groups).toEqual(["vip"]);
    const audits = await t.database.owner
      .selectFrom("audit_events")
      .select(["target_id", "summary"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("action", "in", ["member_group.members_changed", "member_tag.members_changed"])
      .where("target_id", "in", [vip.id, coffee.id])
      .orderBy("created_at", "desc")
      .limit(2)
      .execute();
    expect(JSON.stringify(audits)).not.toContain(closedIn);
    expect(JSON.stringify(audits)).not.toContain(closedOut);
    expect(JSON.stringify(audits)).toContain(open);
  });

  it("a bulk change never puts a member in more groups than a member may hold, writing nothing", async () => {
    const m = await created("/v1/members", { name: "Joiner" });
    const now = t.clock.now();
    await t.database.owner
      .insertInto("member_groups")
      .values(
        Array.from({ length: 101 }, (_, i) => ({
          tenant_id: tenant.tenantId,
          id: `mgrp_cap${i}`,
          code: `cap_${i}`,
          name: `Cap ${i}`,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    for (let i = 0; i < 100; i++) {
      const r = await call("POST", `/v1/member-groups/mgrp_cap${i}/members`, { add: [m.id] });
      expect(r.statusCode, r.body).toBe(200);
    }
    const other = await created("/v1/members", { name: "Other" });
    expectProblem(
      await call("POST", "/v1/member-groups/mgrp_cap100/members", { add: [other.id, m.id] }),
      400,
      "limit_exceeded",
    );
    // Already in the group: no new place taken.
    const again = await call("POST", "/v1/member-groups/mgrp_cap99/members", { add: [m.id] });
    expect(json(again)).toMatchObject({ added: 0 });
    const member = json<{ groups: string[] }>(await call("GET", `/v1/members/${m.id}`));
    expect(member.groups).toHaveLength(100);
    const untouched = json<{ groups: string[] }>(await call("GET", `/v1/members/${other.id}`));
    expect(untouched.groups).toEqual([]);
  });

  it("records tier changes with their reason", async () => {
    const r = await call("POST", `/v1/members/${silver}/change-tier`, {
      tier: "platinum",
      reason: "topup_upgrade",
      reference: "top_1",
    });
    expect(json(r)).toMatchObject({ tier: "platinum", card_plan: "standard" });
    const history = json<{ data: Body[] }>(await call("GET", `/v1/members/${silver}/tier-changes`)).data;
    expect(history[0]).toMatchObject({
      from_tier: "silver",
      to_tier: "platinum",
      reason: "topup_upgrade",
      reference: "top_1",
    });
    expect(history[1]).toMatchObject({ from_tier: null, to_tier: "silver", reason: "registration" });
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("target_id", "=", silver)
      .execute();
    expect(audit.map((a) => a.action)).toContain("member.tier_changed");
  });

  it("an archived card plan issues no new card, by its code or a tier's, while its holders still move between its tiers", async () => {
    const plan = await created("/v1/card-plans", {
      code: "legacy",
      name: "Legacy",
      validity: { kind: "permanent" },
      tiers: [
        { code: "l_low", name: "Low", rank: 1 },
        { code: "l_high", name: "High", rank: 2 },
      ],
    });
    const holder = (await created("/v1/members", { name: "Holder", tier: "l_low" })).id;
    const outsider = (await created("/v1/members", { name: "Outsider", tier: "silver" })).id;
    expect((await call("PATCH", `/v1/card-plans/${plan.id}`, { archived: true })).statusCode).toBe(200);

    expectProblem(
      await call("POST", "/v1/members", { name: "New", tier: "l_high" }),
      404,
      "card_plan_not_found",
    );
    expectProblem(
      await call("POST", `/v1/members/${outsider}/change-tier`, { tier: "l_high", reason: "manual" }),
      404,
      "card_plan_not_found",
    );
    expect(json(await call("GET", `/v1/members/${outsider}`))).toMatchObject({ card_plan: "standard" });
    expect(json<{ data: unknown[] }>(await call("GET", "/v1/members?q=New")).data).toHaveLength(0);

    const up = await call("POST", `/v1/members/${holder}/change-tier`, {
      card_plan: "legacy",
      tier: "l_high",
      reason: "package",
    });
    expect(up.statusCode, up.body).toBe(200);
    expect(json(up)).toMatchObject({ card_plan: "legacy", tier: "l_high" });

    // A paid top-up's or package's upgrade onto the archived plan is left undone, not refused:
    // the payment it comes with still goes through.
    const cardless = (await created("/v1/members", { name: "Cardless" })).id;
    const ctx = { actor: systemActor(tenant.tenantId, "test"), requestId: null };
    for (const change of [
      { tier: "l_high", reason: "topup_upgrade" as const },
      { card_plan: "legacy", tier: "l_high", reason: "package" as const },
    ]) {
      const result = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        changeMemberTier(trx, ctx, cardless, change, t.clock.now()),
      );
      expect(result.changed).toBe(false);
    }
    expect(json(await call("GET", `/v1/members/${cardless}`))).toMatchObject({ card_plan: null, tier: null });
  });

  it("evaluates audience rules against stored members", async () => {
    const r = await call("POST", "/v1/audience-rules/check", {
      rule: { min_tier: "gold", exclude: { tags: ["coffee"] } },
      member_ids: [gold, silver, student],
    });
    expect(json<{ results: Body[] }>(r).results.map((x) => x.matches)).toEqual([false, true, false]);
    expectProblem(
      await call("POST", "/v1/audience-rules/check", { rule: { tiers: ["diamond"] }, member_ids: [gold] }),
      400,
      "validation_failed",
    );
  });

  it("a closed member is final; frozen members can be reactivated", async () => {
    const m = (await created("/v1/members", { name: "Temp" })).id;
    expect(json(await call("PATCH", `/v1/members/${m}`, { status: "frozen" }))).toMatchObject({
      status: "frozen",
    });
    expect(json(await call("PATCH", `/v1/members/${m}`, { status: "active" }))).toMatchObject({
      status: "active",
    });
    await call("PATCH", `/v1/members/${m}`, { status: "closed" });
    expectProblem(await call("PATCH", `/v1/members/${m}`, { name: "Again" }), 422, "member_closed");
  });

  it("a member token reads only its own member; a scoped key only its subtree", async () => {
    const auth = await memberAuth(t, tenant, gold);
    expect((await call("GET", `/v1/members/${gold}`, undefined, auth)).statusCode).toBe(200);
    expectProblem(await call("GET", `/v1/members/${silver}`, undefined, auth), 404, "member_not_found");
    expectProblem(await call("GET", "/v1/members", undefined, auth), 403, "forbidden");
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const store = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Store");
    const scoped = await createTestKey(t, tenant.tenantId, "operator", store.id);
    const local = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: scoped.auth,
      payload: { name: "Local" },
    });
    expect(json(local)).toMatchObject({ org_unit_id: store.id });
    const seen = json<{ data: { id: string }[] }>(
      await call("GET", "/v1/members", undefined, scoped.auth),
    ).data;
    expect(seen.map((m) => m.id)).toEqual([json<{ id: string }>(local).id]);
    expectProblem(await call("GET", `/v1/members/${gold}`, undefined, scoped.auth), 404, "member_not_found");
    // nor mint a member token to reach it that way
    expectProblem(
      await call("POST", "/v1/member-tokens", { member_id: gold }, scoped.auth),
      404,
      "member_not_found",
    );
    expectProblem(
      await call("POST", "/v1/member-tokens", { member_id: "mbr_nobody" }),
      404,
      "member_not_found",
    );
  });
});

describe("import", () => {
  async function xlsx(rows: (string | null)[][]) {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet("members");
    for (const row of rows) sheet.addRow(row);
    return Buffer.from(await wb.xlsx.writeBuffer()).toString("base64");
  }

  it("imports an xlsx file in one go", async () => {
    const content = await xlsx([
      ["name", "external_ref", "phone", "tier", "tags", "birthday"],
      ["Imp One", "imp-1", "13900000001", "gold", "coffee", "12-24"],
      ["Imp Two", "imp-2", null, null, null, null],
    ]);
    const r = await call("POST", "/v1/members/import", { format: "xlsx", content_base64: content });
    expect(r.statusCode, r.body).toBe(201);
    const body = json<{ created: number; member_ids: string[] }>(r);
    expect(body.created).toBe(2);
    const one = json<Body>(await call("GET", `/v1/members/${body.member_ids[0]}`));
    expect(one).toMatchObject({ name: "Imp One", tier: "gold", tags: ["coffee"], birthday: "12-24" });
  });

  it("refuses an xlsx that unpacks past 16 MiB, without reading it whole", async () => {
    // Its headers state its true sizes. Read whole, 300 KB of such a file (300 MiB of shared
    // strings) filled the API's heap and ended the process.
    const bomb = await inflatingXlsx(["name"], 20 * 1024 * 1024, 0, (size) => size);
    expect(bomb.length).toBeLessThan(MAX_IMPORT_BYTES);
    const r = await call("POST", "/v1/members/import", {
      format: "xlsx",
      content_base64: bomb.toString("base64"),
    });
    expect(expectProblem(r, 400, "import_too_large").detail).toContain("unpacks to more than 16 MiB");
  });

  it("refuses a row that reaches past 64 columns, in CSV and xlsx, before building it", async () => {
    // Built whole, 5,000 rows each with a cell in the sheet's last column (XFD) ended the API's
    // process; a 5 MiB line of commas held it for 1.5 s and 130 MB.
    const commas = `name,phone\nWide${",".repeat(5 * 1024 * 1024 - 30)}\n`;
    const csv = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(commas).toString("base64"),
    });
    expect(expectProblem(csv, 400, "import_invalid").detail).toBe("Line 2 has more than 64 columns");

    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet("members");
    sheet.addRow(["name", "external_ref"]);
    sheet.addRow(["Far", "imp-far"]);
    sheet.getCell("XFD2").value = "x";
    const content = Buffer.from(await wb.xlsx.writeBuffer()).toString("base64");
    const xlsx = await call("POST", "/v1/members/import", { format: "xlsx", content_base64: content });
    expect(expectProblem(xlsx, 400, "import_invalid").detail).toBe("Row 2 has a cell past column 64");
    const found = json<{ data: unknown[] }>(await call("GET", "/v1/members?q=imp-far")).data;
    expect(found).toHaveLength(0);

    // Sixty-four cells, the last of them empty as a spreadsheet pads a line, are a row.
    const padded = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(
        `name,external_ref${",".repeat(62)}\nPadded,imp-padded${",".repeat(62)}\n`,
      ).toString("base64"),
    });
    expect(padded.statusCode, padded.body).toBe(201);
  });

  it("reads a rich-text cell as its text", async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet("members");
    sheet.addRow(["name", "external_ref"]);
    sheet.addRow([{ richText: [{ text: "Rich " }, { font: { bold: true }, text: "Name" }] }, "imp-rich"]);
    const content = Buffer.from(await wb.xlsx.writeBuffer()).toString("base64");
    const r = await call("POST", "/v1/members/import", { format: "xlsx", content_base64: content });
    expect(r.statusCode, r.body).toBe(201);
    const id = json<{ member_ids: string[] }>(r).member_ids[0]!;
    expect(json<Body>(await call("GET", `/v1/members/${id}`)).name).toBe("Rich Name");
  });

  it("refuses the whole CSV when one row is bad, naming the row", async () => {
    const csv = "name,external_ref,tier\nGood,imp-3,silver\nBad,imp-4,diamond\n";
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(csv).toString("base64"),
    });
    const problem = expectProblem(r, 400, "import_invalid") as unknown as { errors: { field: string }[] };
    expect(problem.errors[0]!.field).toBe("/rows/3");
    const found = json<{ data: unknown[] }>(await call("GET", "/v1/members?q=imp-3")).data;
    expect(found).toHaveLength(0);
  });

  it("names at most 100 refused rows, however many are refused", async () => {
    const csv = ["name,external_ref", ...Array.from({ length: 150 }, (_, i) => `,nameless-${i}`)].join("\n");
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(csv).toString("base64"),
    });
    const problem = expectProblem(r, 400, "import_invalid") as unknown as { errors: { field: string }[] };
    expect(problem.errors).toHaveLength(100);
    expect(problem.errors[99]!.field).toBe("/rows/101/name");
  });

  it("refuses rows whose phone, email, reference or card number the API would refuse, writing nothing", async () => {
    const csv = [
      "name,external_ref,phone,email,card_number",
      "Ok,imp-ok,13900000009,ok@example.com,c-ok",
      `Long phone,imp-5,${"9".repeat(40)},,`,
      "Letters,imp-6,call me,,",
      "Mail,imp-7,,not-an-email,",
      `Ref,${"r".repeat(129)},,,`,
      `Card,imp-9,,,${"c".repeat(65)}`,
    ].join("\n");
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(csv).toString("base64"),
    });
    const problem = expectProblem(r, 400, "import_invalid") as unknown as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual([
      "/rows/3/phone",
      "/rows/4/phone",
      "/rows/5/email",
      "/rows/6/external_ref",
      "/rows/7/card_number",
    ]);
    const found = json<{ data: unknown[] }>(await call("GET", "/v1/members?q=imp-ok")).data;
    expect(found).toHaveLength(0);
  });

  it("reads a CSV saved by a Chinese Excel (GB18030) as its characters; bytes of no known encoding are refused", async () => {
    const zhangSan = [0xd5, 0xc5, 0xc8, 0xfd]; // 张三 in GB18030
    const gb = Buffer.from([...Buffer.from("name,external_ref\n"), ...zhangSan, ...Buffer.from(",imp-gb\n")]);
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: gb.toString("base64"),
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = json<{ member_ids: string[] }>(r).member_ids[0]!;
    expect(json<Body>(await call("GET", `/v1/members/${id}`)).name).toBe("张三");
    const unreadable = Buffer.from([...Buffer.from("name\n"), 0xff, 0xfe, 0x0a]);
    expectProblem(
      await call("POST", "/v1/members/import", {
        format: "csv",
        content_base64: unreadable.toString("base64"),
      }),
      400,
      "import_invalid",
    );
  });

  it("stores a group or tag named twice in a row once, as the API would", async () => {
    const csv = 'name,external_ref,tags\nTwice,imp-twice,"coffee, coffee;coffee"\n';
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(csv).toString("base64"),
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = json<{ member_ids: string[] }>(r).member_ids[0]!;
    expect(json<Body>(await call("GET", `/v1/members/${id}`)).tags).toEqual(["coffee"]);
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`).join(";");
    const refused = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(`name,external_ref,tags\nMany,imp-many,${many}\n`).toString("base64"),
    });
    const problem = expectProblem(refused, 400, "import_invalid") as unknown as {
      errors: { field: string }[];
    };
    expect(problem.errors.map((e) => e.field)).toEqual(["/rows/2/tags"]);
  });

  it("refuses a student cell that is neither yes nor no, writing nothing", async () => {
    const csv = "name,external_ref,student\nSure,imp-sure,yes\nMaybe,imp-maybe,maybe\n";
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(csv).toString("base64"),
    });
    const problem = expectProblem(r, 400, "import_invalid") as unknown as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(["/rows/3/student"]);
    expect(json<{ data: unknown[] }>(await call("GET", "/v1/members?q=imp-sure")).data).toHaveLength(0);
  });

  it("refuses a header that names a column twice, naming it and writing nothing", async () => {
    for (const header of ["name,external_ref,phone,phone", "name,external_ref,phone,PHONE "]) {
      const csv = `${header}\nTwice,imp-dup-col,13900000001,13900000002\n`;
      const r = await call("POST", "/v1/members/import", {
        format: "csv",
        content_base64: Buffer.from(csv).toString("base64"),
      });
      const problem = expectProblem(r, 400, "import_invalid") as unknown as {
        detail: string;
        errors: { field: string }[];
      };
      expect(problem.detail).toContain('"phone"');
      expect(problem.errors.map((e) => e.field)).toEqual(["/header/phone"]);
    }
    const content = await xlsx([
      ["name", "tier", "external_ref", "tier"],
      ["Twice", "silver", "imp-dup-col", "gold"],
    ]);
    const r = await call("POST", "/v1/members/import", { format: "xlsx", content_base64: content });
    expect((expectProblem(r, 400, "import_invalid") as unknown as { detail: string }).detail).toContain(
      '"tier"',
    );
    expect(json<{ data: unknown[] }>(await call("GET", "/v1/members?q=imp-dup-col")).data).toHaveLength(0);
  });

  it("refuses a row whose cell holds a NUL byte, naming row and column, writing nothing", async () => {
    const csv =
      "name,external_ref,phone\nGood,imp-nul-ok,\nA\u0000B,imp-nul-1,\nNul phone,imp-nul-2,139\u0000\n";
    const r = await call("POST", "/v1/members/import", {
      format: "csv",
      content_base64: Buffer.from(csv).toString("base64"),
    });
    const problem = expectProblem(r, 400, "import_invalid") as unknown as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(["/rows/3/name", "/rows/4/phone"]);
    expect(json<{ data: unknown[] }>(await call("GET", "/v1/members?q=imp-nul-ok")).data).toHaveLength(0);
  });

  it("refuses a header without name", async () => {
    const csv = "who,phone\nx,1\n";
    expectProblem(
      await call("POST", "/v1/members/import", {
        format: "csv",
        content_base64: Buffer.from(csv).toString("base64"),
      }),
      400,
      "import_invalid",
    );
  });
});

describe("a member's facts", () => {
  it("read in a snapshot, are the facts the member's transaction loads, groups and tags in the member's order", async () => {
    const groups = await Promise.all(
      ["g_b", "g_a", "g_c"].map((code) => created("/v1/member-groups", { code, name: code })),
    );
    const tags = await Promise.all(
      ["t_z", "t_y"].map((code) => created("/v1/member-tags", { code, name: code })),
    );
    const member = await created("/v1/members", { name: "Ordered", tier: "gold" });
    // Out of both the ids' and the codes' order, and one id of no group at all.
    const groupIds = [groups[2]!.id, "mgr_gone", groups[0]!.id, groups[1]!.id];
    const tagIds = [tags[1]!.id, tags[0]!.id];
    await t.database.owner
      .updateTable("members")
      .set({ group_ids: groupIds, tag_ids: tagIds })
      .where("tenant_id", "=", tenant.tenantId)
      .where("id", "=", member.id)
      .execute();
    const actor = { tenantId: tenant.tenantId, type: "api_key", orgUnitPath: null, memberId: null } as Actor;
    const read = memberFactsFromRows(
      await t.deps.db.tenantRead(
        tenant.tenantId,
        memberFactsReads(tenant.tenantId, member.id, { withCatalog: true }),
      ),
      actor,
      member.id,
    ) as Exclude<ReturnType<typeof memberFactsFromRows>, symbol>;
    const loaded = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      loadMemberFactsAndTiers(trx, tenant.tenantId, member.id),
    );
    expect(read!.facts.groups).toEqual(["g_c", "g_b", "g_a"]);
    expect(read!.facts.tags).toEqual(["t_y", "t_z"]);
    expect(read).toEqual(loaded);
  });
});
