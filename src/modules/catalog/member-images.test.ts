import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, type TestApp } from "../../../test/helpers/app.js";
import { giftCardTenant, SEED_PLAN } from "../../../test/helpers/giftcards.js";
import { type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { topupClient } from "../../../test/helpers/topup.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";

/**
 * A member token reads a catalog image only when something the member center shows uses it:
 * an active package's cover, an active shown top-up plan's (or active smart plan's) cover, an
 * on-sale gift card plan's design, an active exclusive service's detail image. Anything else
 * answers 404, like an image that is not there.
 */
let t: TestApp;
let w: PackageWorld;
let member: Record<string, string>;

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const SVG = (fill: string) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="${fill}"/></svg>`,
  );

async function upload(headers: Record<string, string>, purpose: string, bytes: Buffer = PNG) {
  const r = await t.app.inject({
    method: "POST",
    url: `/v1/images?purpose=${purpose}`,
    headers: {
      ...headers,
      "content-type": bytes === PNG ? "image/png" : "image/svg+xml",
      "idempotency-key": `img-${Math.random()}`,
    },
    payload: bytes,
  });
  expect(r.statusCode, r.body).toBe(201);
  return json<{ id: string }>(r).id;
}

const read = (id: string, headers = member) => t.app.inject({ url: `/v1/images/${id}`, headers });
const expectAbsent = async (id: string, headers = member) => {
  const r = await read(id, headers);
  expect(r.statusCode, r.body).toBe(404);
  expect(json<{ code: string }>(r).code).toBe("image_not_found");
};

beforeAll(async () => {
  w = await packageWorld();
  t = w.t;
  member = await memberAuth(t, w.tenant, await w.member());
});
afterAll(async () => t?.close());

describe("images a member reads", () => {
  it("reads an active package's cover, cacheable for good; not once the package stops selling", async () => {
    const cover = await upload(w.tenant.auth, "package_cover", SVG("#0a7"));
    const pkg = await w.createPackage({ cover_image_id: cover });
    const r = await read(cover);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers["content-type"]).toContain("image/svg+xml");
    expect(r.headers["content-security-policy"]).toContain("sandbox");
    expect(r.headers["cache-control"]).toBe("private, max-age=31536000, immutable");
    expect(r.rawPayload.equals(SVG("#0a7"))).toBe(true);
    const again = await read(cover, { ...member, "if-none-match": String(r.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);

    await w.ok(w.call("POST", `/v1/packages/${pkg}/deactivate`));
    await expectAbsent(cover);
    // Staff still read it: the image is the catalog's, only the member's view of it ended.
    expect((await read(cover, w.tenant.auth)).statusCode).toBe(200);
  });

  it("never reads an image nothing shows, nor one only an inactive package shows", async () => {
    await expectAbsent(await upload(w.tenant.auth, "package_cover"));
    await expectAbsent(await upload(w.tenant.auth, "detail"));
    const cover = await upload(w.tenant.auth, "package_cover");
    const draft = await w.ok<{ id: string }>(
      w.call("POST", "/v1/packages", {
        name: "Draft",
        channels: ["ONLINE"],
        sales_rules: [w.seedRule],
        cover_image_id: cover,
      }),
      201,
    );
    expect(draft.id).toMatch(/^pkg_/);
    await expectAbsent(cover);
    await expectAbsent("img_00000000000000000000000000");
  });

  it("reads a shown top-up plan's cover and a smart plan's; not a hidden or deactivated plan's", async () => {
    const c = topupClient(t, w.tenant);
    const rule = { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 0 };
    const shown = await upload(w.tenant.auth, "topup_cover");
    const hidden = await upload(w.tenant.auth, "topup_cover");
    const smart = await upload(w.tenant.auth, "topup_cover");
    const plan = await c.plan({ kind: "package", name: "Shown", rule, cover_image_id: shown });
    await c.plan({
      kind: "package",
      name: "Hidden",
      rule,
      cover_image_id: hidden,
      restrictions: { visibility: "hidden" },
    });
    await c.ok("POST", "/v1/smart-topup-plans", {
      name: "Smart",
      cover_image_id: smart,
      tiers: [{ type: "fixed", amount: 30_000, bonus_amount: 3_000, bonus_points: 0 }],
    });
    expect((await read(shown)).statusCode).toBe(200);
    expect((await read(smart)).statusCode).toBe(200);
    await expectAbsent(hidden);
    await c.ok("POST", `/v1/topup-plans/${plan}/deactivate`);
    await expectAbsent(shown);
  });

  it("reads the design of a gift card plan on sale online; not an offline-only or inactive plan's", async () => {
    const { tenant, gc } = await giftCardTenant(t);
    const own = await memberAuth(
      t,
      tenant,
      (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "G" })).id,
    );
    const online = await upload(tenant.auth, "card_design");
    const pos = await upload(tenant.auth, "card_design");
    const draft = await upload(tenant.auth, "card_design");
    await gc.activePlan({ name: "Online", design: { kind: "image", image_id: online } });
    await gc.activePlan({ name: "POS only", design: { kind: "image", image_id: pos }, channels: ["POS"] });
    await gc.ok("POST", "/v1/gift-card-plans", {
      ...SEED_PLAN,
      name: "Draft",
      design: { kind: "image", image_id: draft },
    });
    expect((await read(online, own)).statusCode).toBe(200);
    await expectAbsent(pos, own);
    await expectAbsent(draft, own);
    // Another tenant's member never reads it, though this tenant's members do.
    await expectAbsent(online);
  });

  it("reads an active exclusive service's uploaded detail images; refuses a name that is no detail image", async () => {
    const detail = await upload(w.tenant.auth, "detail", SVG("#d4a"));
    const cover = await upload(w.tenant.auth, "package_cover");
    const save = (detail_images: string[], name = "Concierge") =>
      w.call("POST", "/v1/benefits", { kind: "exclusive_services", name, config: { detail_images } });
    const services = async () =>
      (await w.ok<{ data: unknown[] }>(w.call("GET", "/v1/benefits?kind=exclusive_services"))).data.length;
    expect(await services()).toBe(0);

    for (const wrong of [
      cover,
      "img_00000000000000000000000000",
      "files/concierge.png",
      "http://x.test/a.png",
    ]) {
      const r = await save(["https://cdn.example.com/a.png", detail, wrong]);
      expect(r.statusCode, r.body).toBe(400);
      const problem = json<{ code: string; errors: { field: string }[] }>(r);
      expect(problem.code).toBe("invalid_image");
      expect(problem.errors).toEqual([expect.objectContaining({ field: "/body/config/detail_images/2" })]);
    }
    // Nothing was written: no benefit, so the detail image is still the staff's alone.
    expect(await services()).toBe(0);
    await expectAbsent(detail);

    const benefit = await w.ok<{ id: string; config: { detail_images: string[] } }>(
      save(["https://cdn.example.com/a.png", detail]),
      201,
    );
    expect(benefit.config.detail_images).toEqual(["https://cdn.example.com/a.png", detail]);
    const r = await read(detail);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.rawPayload.equals(SVG("#d4a"))).toBe(true);
    // An edit that names a cover instead is refused and leaves the benefit as it was.
    const edit = await w.call("PATCH", `/v1/benefits/${benefit.id}`, { config: { detail_images: [cover] } });
    expect(edit.statusCode, edit.body).toBe(400);
    expect((await read(detail)).statusCode).toBe(200);

    await w.ok(w.call("POST", `/v1/benefits/${benefit.id}/deactivate`));
    await expectAbsent(detail);
    expect((await read(detail, w.tenant.auth)).statusCode).toBe(200);
  });
});
