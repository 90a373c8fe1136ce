/**
 * Benefit icons are images of purpose `benefit_icon` (migration 1790): an icon kept before the
 * move still serves and still names a benefit, an icon may come through either upload route,
 * and an image of another purpose is not an icon.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { up as createIconTable } from "../../db/migrations/0702_benefit_icons.js";
import { up as moveIconsIntoImages } from "../../db/migrations/1790_benefit_icons_in_images.js";

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(24, 7),
]);

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const createBenefit = (icon: string) =>
  t.app.inject({
    method: "POST",
    url: "/v1/benefits",
    headers: tenant.auth,
    payload: { kind: "custom", name: `With ${icon}`, icon, config: {} },
  });

/** Uploads the PNG at one of the two doors: `/v1/benefit-icons`, or `/v1/images` with a purpose. */
const upload = (url: string) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...tenant.auth, "content-type": "image/png" },
    payload: PNG,
  });

describe("benefit icons in the tenant's images", () => {
  it("moves an icon kept in the old table into images, with its id, bytes, digest, uploader and time", async () => {
    const owner = t.database.owner;
    await createIconTable(owner);
    const createdAt = new Date("2026-10-01T09:30:00.123Z");
    await sql`insert into benefit_icons (tenant_id, id, media_type, bytes, sha256, created_by, created_at)
      values (${tenant.tenantId}, 'ico_kept', 'image/png', ${PNG}, 'digest-of-kept', 'usr_uploader', ${createdAt})`.execute(
      owner,
    );

    await moveIconsIntoImages(owner);

    const moved = await sql<{
      purpose: string;
      media_type: string;
      bytes: Buffer;
      sha256: string;
      created_by: string;
      created_at: Date;
    }>`select purpose, media_type, bytes, sha256, created_by, created_at from images
        where tenant_id = ${tenant.tenantId} and id = 'ico_kept'`.execute(owner);
    expect(moved.rows).toHaveLength(1);
    expect(moved.rows[0]).toMatchObject({
      purpose: "benefit_icon",
      media_type: "image/png",
      sha256: "digest-of-kept",
      created_by: "usr_uploader",
    });
    expect(moved.rows[0]!.bytes.equals(PNG)).toBe(true);
    expect(moved.rows[0]!.created_at.toISOString()).toBe(createdAt.toISOString());
    const table = await sql<{
      name: string | null;
    }>`select to_regclass('benefit_icons')::text as name`.execute(owner);
    expect(table.rows[0]!.name).toBeNull();

    const served = await t.app.inject({ url: "/v1/benefit-icons/ico_kept", headers: tenant.auth });
    expect(served.statusCode, served.body).toBe(200);
    expect(served.headers.etag).toBe('"digest-of-kept"');
    expect(served.rawPayload.equals(PNG)).toBe(true);
    const benefit = await createBenefit("ico_kept");
    expect(benefit.statusCode, benefit.body).toBe(201);
  });

  it("keeps an icon uploaded at /v1/benefit-icons as an image of purpose benefit_icon", async () => {
    const res = await upload("/v1/benefit-icons");
    expect(res.statusCode, res.body).toBe(201);
    const { id } = json<{ id: string }>(res);
    const row = await sql<{ purpose: string }>`select purpose from images
      where tenant_id = ${tenant.tenantId} and id = ${id}`.execute(t.database.owner);
    expect(row.rows.map((r) => r.purpose)).toEqual(["benefit_icon"]);
  });

  it("takes an image uploaded with purpose benefit_icon as an icon, and refuses a cover", async () => {
    const icon = await upload("/v1/images?purpose=benefit_icon");
    expect(icon.statusCode, icon.body).toBe(201);
    const iconId = json<{ id: string }>(icon).id;
    expect((await createBenefit(iconId)).statusCode).toBe(201);
    expect(
      (await t.app.inject({ url: `/v1/benefit-icons/${iconId}`, headers: tenant.auth })).statusCode,
    ).toBe(200);

    const cover = await upload("/v1/images?purpose=package_cover");
    expect(cover.statusCode, cover.body).toBe(201);
    const coverId = json<{ id: string }>(cover).id;
    expectProblem(await createBenefit(coverId), 400, "invalid_icon");
    expectProblem(
      await t.app.inject({ url: `/v1/benefit-icons/${coverId}`, headers: tenant.auth }),
      404,
      "benefit_icon_not_found",
    );
  });
});
