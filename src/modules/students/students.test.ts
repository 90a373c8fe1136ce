import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, json, type TestApp } from "../../../test/helpers/app.js";
import { type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import type { AppDeps } from "../../app-types.js";
import { Notifier } from "../../platform/notify/notifier.js";
import { runStudentExpiry, shareBasisPoints } from "./index.js";

/** Student ID over HTTP with the seed's numbers (seed 001 §2.6): a 6-month validity, Asia/Shanghai. */
let t: TestApp;
let w: PackageWorld;
const sms: { to: string; text: string }[] = [];
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
// 11:00 on 1 Mar 2026 in Shanghai (the tenant's zone).
const MAR_1 = "2026-03-01T03:00:00Z";

interface Verification {
  id: string;
  member_name?: string;
  status: string;
  member_id: string;
  valid_until: string | null;
  end_reason: string | null;
  gift_grant_id: string | null;
  reject_reason: string | null;
  reminder_sent_at: string | null;
}

beforeAll(async () => {
  t = await createTestApp({
    extend: (base) =>
      ({
        notifier: new Notifier({
          db: base.db,
          sms: { send: async (to, text) => void sms.push({ to, text }) },
        }),
      }) as Partial<AppDeps>,
  });
  w = await packageWorld({ t });
  t.clock.set(MAR_1);
  await w.ok(w.call("POST", "/v1/member-tags", { code: "student", name: "Student" }));
  await w.ok(w.call("POST", "/v1/member-groups", { code: "students", name: "Students" }));
});
afterAll(async () => t?.close());

const settings = (over: Record<string, unknown> = {}) => ({
  validity: { count: 6, unit: "month" },
  reminder_days_before: 7,
  page: { title: "Verify your student ID", body: "20% off for students", image_ids: [], package_ids: [] },
  student_tag: "student",
  student_group: "students",
  gift: { kind: "voucher", template_id: w.coffee, quantity: 1 },
  gift_rule: "first_verification",
  ...over,
});
const save = (over: Record<string, unknown> = {}) => w.call("PUT", "/v1/student-settings", settings(over));

async function newMember(name: string, extra: Record<string, unknown> = {}) {
  return (await w.ok<{ id: string }>(w.call("POST", "/v1/members", { name, ...extra }))).id;
}

/** The member uploads a photo and submits with its own token. */
async function submit(memberId: string, graduation = "2028-06-30") {
  const auth = await memberAuth(t, w.tenant, memberId);
  const upload = await t.app.inject({
    method: "POST",
    url: `/v1/members/${memberId}/student-id-images`,
    headers: { ...auth, "content-type": "image/png", "idempotency-key": `img-${memberId}-${graduation}` },
    payload: PNG,
  });
  expect(upload.statusCode, upload.body).toBe(201);
  const image = json<{ id: string; purpose: string }>(upload);
  expect(image.purpose).toBe("student_id");
  const body = {
    member_id: memberId,
    school: "Fudan University",
    student_number: "22300180042",
    graduation_date: graduation,
    image_id: image.id,
  };
  return { auth, image, body, response: w.call("POST", "/v1/student-verifications", body, auth) };
}
const submitted = async (memberId: string, graduation?: string) =>
  w.ok<Verification>((await submit(memberId, graduation)).response, 201);
const approve = (id: string, key?: string) =>
  w.ok<Verification>(
    w.call("POST", `/v1/student-verifications/${id}/approve`, undefined, w.tenant.auth, key),
    200,
  );
const member = (id: string) =>
  w.ok<{ student: boolean; tags: string[]; groups: string[] }>(w.call("GET", `/v1/members/${id}`));
const vouchers = async (id: string) =>
  (await w.ok<{ data: unknown[] }>(w.call("GET", `/v1/members/${id}/vouchers`))).data.length;

describe("verification: submit, review, approve", () => {
  it("makes the member a student for 6 months, with the tag, the group and the gift, once", async () => {
    expect((await w.ok(save(), 200)) as Record<string, unknown>).toMatchObject({
      validity: { count: 6, unit: "month" },
      student_tag: "student",
      gift_rule: "first_verification",
    });
    const ann = await newMember("Ann", { phone: "13800000001" });
    const { auth, response, body } = await submit(ann);
    const pending = await w.ok<Verification>(response, 201);
    expect(pending.status).toBe("pending");
    // One open submission per member.
    expect(await w.code(w.call("POST", "/v1/student-verifications", body, auth), 409)).toBe(
      "student_verification_pending",
    );
    // Another member's token cannot submit for Ann, nor read her verification.
    const bob = await newMember("Bob");
    const bobAuth = await memberAuth(t, w.tenant, bob);
    expect(await w.code(w.call("POST", "/v1/student-verifications", body, bobAuth), 404)).toBe(
      "member_not_found",
    );
    expect(
      await w.code(w.call("GET", `/v1/student-verifications/${pending.id}`, undefined, bobAuth), 404),
    ).toBe("student_verification_not_found");
    // The ID photo is not served through the general image route, to the member or to staff
    // (staff bound to other members would read it there): only with its verification.
    expect(await w.code(w.call("GET", `/v1/images/${body.image_id}`, undefined, auth), 404)).toBe(
      "image_not_found",
    );
    expect(await w.code(w.call("GET", `/v1/images/${body.image_id}`), 404)).toBe("image_not_found");
    const photo = await w.call("GET", `/v1/student-verifications/${pending.id}/image`, undefined, auth);
    expect([photo.statusCode, photo.rawPayload.equals(PNG)]).toEqual([200, true]);

    // The queue, oldest first, one per page.
    await submitted(bob);
    const page1 = await w.ok<{ data: Verification[]; has_more: boolean }>(
      w.call("GET", "/v1/student-verifications?status=pending&limit=1"),
    );
    expect([page1.data[0]?.id, page1.has_more]).toEqual([pending.id, true]);
    const page2 = await w.ok<{ data: Verification[]; has_more: boolean }>(
      w.call("GET", `/v1/student-verifications?status=pending&limit=1&starting_after=${pending.id}`),
    );
    expect([page2.data[0]?.member_id, page2.data[0]?.member_name, page2.has_more]).toEqual([
      bob,
      "Bob",
      false,
    ]);

    expect((await member(ann)).student).toBe(false);
    const approved = await approve(pending.id, "approve-ann");
    // 11:00 on 1 Mar + 6 months = 11:00 on 1 Sep (Shanghai), before the 2028 graduation.
    expect([approved.status, approved.valid_until]).toEqual(["approved", "2026-09-01T03:00:00.000Z"]);
    expect(approved.gift_grant_id).toMatch(/^ggr_/);
    // A retry with the same key replays; nothing is given twice.
    expect(await approve(pending.id, "approve-ann")).toEqual(approved);
    expect(await vouchers(ann)).toBe(1);
    expect(await member(ann)).toMatchObject({ student: true, tags: ["student"], groups: ["students"] });
    expect(await w.code(w.call("POST", `/v1/student-verifications/${pending.id}/approve`), 409)).toBe(
      "student_verification_not_pending",
    );
    const status = await w.ok<{ student: boolean; current: Verification | null }>(
      w.call("GET", `/v1/members/${ann}/student-status`, undefined, auth),
    );
    expect([status.student, status.current?.id]).toEqual([true, pending.id]);

    // Reminder 7 days before the end (25 Aug, 11:00), once; then expiry at the end.
    t.clock.set("2026-08-25T02:59:00Z");
    expect(await runStudentExpiry(t.deps, w.tenant.tenantId)).toBe(0);
    t.clock.set("2026-08-25T03:00:00Z");
    expect(await runStudentExpiry(t.deps, w.tenant.tenantId)).toBe(1);
    expect(await runStudentExpiry(t.deps, w.tenant.tenantId)).toBe(0);
    expect(sms.filter((m) => m.to === "13800000001").map((m) => m.text)).toEqual([
      expect.stringContaining("2026-09-01"),
    ]);
    const inbox = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("inbox_messages").select("title").where("recipient", "=", ann).execute(),
    );
    expect(inbox).toHaveLength(1);

    t.clock.set("2026-09-01T03:00:00Z");
    expect(await runStudentExpiry(t.deps, w.tenant.tenantId)).toBe(1);
    const ended = await w.ok<Verification>(w.call("GET", `/v1/student-verifications/${pending.id}`));
    expect([ended.status, ended.end_reason]).toEqual(["expired", "validity_ended"]);
    expect(await member(ann)).toMatchObject({ student: false, tags: [], groups: [] });

    // Re-verification under "first verification only": a student again, no second gift.
    const again = await approve((await submitted(ann)).id);
    expect([again.status, again.gift_grant_id]).toEqual(["approved", null]);
    expect(await vouchers(ann)).toBe(1);
    expect((await member(ann)).student).toBe(true);

    // Under "every re-verification" the next approval gives it again, and replaces the current one.
    await w.ok(save({ gift_rule: "every_verification" }), 200);
    const third = await approve((await submitted(ann)).id);
    expect(third.gift_grant_id).toMatch(/^ggr_/);
    expect(await vouchers(ann)).toBe(2);
    const replaced = await w.ok<Verification>(w.call("GET", `/v1/student-verifications/${again.id}`));
    expect([replaced.status, replaced.end_reason]).toEqual(["superseded", "reverified"]);
    expect((await member(ann)).tags).toEqual(["student"]);
  });

  it("ends at the graduation date when it comes first, and a rejection names its reason", async () => {
    t.clock.set(MAR_1);
    const cat = await newMember("Cat");
    const v = await submitted(cat, "2026-06-30");
    const approved = await approve(v.id);
    // The end of 30 Jun in Shanghai: 1 Jul 00:00 = 30 Jun 16:00 UTC.
    expect(approved.valid_until).toBe("2026-06-30T16:00:00.000Z");
    t.clock.set("2026-06-30T16:00:00Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    const ended = await w.ok<Verification>(w.call("GET", `/v1/student-verifications/${v.id}`));
    expect([ended.status, ended.end_reason]).toEqual(["expired", "graduated"]);

    const dan = await newMember("Dan");
    const late = await submit(dan, "2026-06-29");
    expect(await w.code(late.response, 422)).toBe("graduation_date_passed");
    const d = await submitted(dan, "2027-06-30");
    expect(await w.code(w.call("POST", `/v1/student-verifications/${d.id}/reject`, {}), 400)).toBe(
      "validation_failed",
    );
    const rejected = await w.ok<Verification>(
      w.call("POST", `/v1/student-verifications/${d.id}/reject`, { reason: "The photo is unreadable" }),
      200,
    );
    expect([rejected.status, rejected.reject_reason]).toEqual(["rejected", "The photo is unreadable"]);
    expect((await member(dan)).student).toBe(false);
    // Rejected: the member may submit again.
    expect((await submitted(dan, "2027-06-30")).status).toBe("pending");
  });
});

describe("the ID photo belongs to its member", () => {
  it("a verification names only a photo uploaded for its own member", async () => {
    t.clock.set(MAR_1);
    const eve = await newMember("Eve");
    const { image: evePhoto } = await submit(eve);
    const fay = await newMember("Fay");
    const fayAuth = await memberAuth(t, w.tenant, fay);
    const body = {
      member_id: fay,
      school: "Fudan University",
      student_number: "1",
      graduation_date: "2028-06-30",
      image_id: evePhoto.id,
    };
    // Neither Fay's own token nor staff may put Eve's photo on Fay's verification.
    for (const auth of [fayAuth, w.tenant.auth]) {
      const refused = await w.call("POST", "/v1/student-verifications", body, auth);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(json<{ code: string; errors: { field: string }[] }>(refused)).toMatchObject({
        code: "invalid_image",
        errors: [{ field: "/body/image_id" }],
      });
    }
    const fays = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("student_verifications").select("id").where("member_id", "=", fay).execute(),
    );
    expect(fays).toEqual([]);
    // Her own photo is accepted.
    expect((await submitted(fay)).status).toBe("pending");
  });

  it("a verification kept from before the rule, naming another member's photo, does not serve it", async () => {
    t.clock.set(MAR_1);
    const gil = await newMember("Gil");
    const { image: gilPhoto } = await submit(gil);
    const hal = await newMember("Hal");
    const halAuth = await memberAuth(t, w.tenant, hal);
    const hals = await submitted(hal);
    // As a submission accepted before the rule left it: Hal's verification names Gil's photo.
    await t.database.owner
      .updateTable("student_verifications")
      .set({ image_id: gilPhoto.id })
      .where("id", "=", hals.id)
      .execute();
    for (const auth of [halAuth, w.tenant.auth]) {
      const r = await w.call("GET", `/v1/student-verifications/${hals.id}/image`, undefined, auth);
      expect(r.statusCode, r.body).toBe(404);
      expect(json<{ code: string }>(r).code).toBe("student_verification_not_found");
    }
  });
});

describe("audit", () => {
  it("every status change of a verification is audited on it, the job's with its own actor", async () => {
    t.clock.set(MAR_1);
    const trail = tenantTrail(t, w.tenant.tenantId);
    const gus = await newMember("Gus");
    const first = await approve((await submitted(gus)).id);
    t.clock.set("2026-04-01T03:00:00Z");
    const second = await approve((await submitted(gus)).id);
    // The replaced approval carries its own record of being replaced.
    expect(await trail.audit(first.id)).toEqual([
      "student_verification.approved",
      "student_verification.submitted",
      "student_verification.superseded",
    ]);
    t.clock.set(second.valid_until!);
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    expect(await trail.audit(second.id)).toEqual([
      "student_verification.approved",
      "student_verification.expired",
      "student_verification.submitted",
    ]);
    const expired = await t.database.owner
      .selectFrom("audit_events")
      .select(["actor_type", "actor_id", "summary"])
      .where("target_id", "=", second.id)
      .where("action", "=", "student_verification.expired")
      .executeTakeFirstOrThrow();
    expect(expired).toMatchObject({
      actor_type: "system",
      actor_id: "students.expire",
      summary: { member_id: gus, end_reason: "validity_ended", ended_at: second.valid_until },
    });
  });
});

describe("re-verification after the end, before the job ran", () => {
  it("the ended approval expired at its end; it was not replaced", async () => {
    t.clock.set(MAR_1);
    const trail = tenantTrail(t, w.tenant.tenantId);
    const hal = await newMember("Hal");
    const first = await approve((await submitted(hal)).id);
    expect(first.valid_until).toBe("2026-09-01T03:00:00.000Z");
    // A day after the end; the expiry job has not run yet.
    t.clock.set("2026-09-02T03:00:00Z");
    const second = await approve((await submitted(hal)).id);
    const ended = await w.ok<Verification & { ended_at: string | null }>(
      w.call("GET", `/v1/student-verifications/${first.id}`),
    );
    expect([ended.status, ended.end_reason, ended.ended_at]).toEqual([
      "expired",
      "validity_ended",
      "2026-09-01T03:00:00.000Z",
    ]);
    expect((await trail.events("student.expired")).filter((e) => e.verification_id === first.id)).toEqual([
      expect.objectContaining({ member_id: hal, reason: "validity_ended", valid_until: first.valid_until }),
    ]);
    expect(await trail.audit(first.id)).toContain("student_verification.expired");
    expect(await member(hal)).toMatchObject({ student: true, tags: ["student"] });
    expect(second.status).toBe("approved");
  });
});

describe("photo uploads are bounded per member", () => {
  it("a member keeps at most 10 photos not yet submitted; submitting one makes room", async () => {
    t.clock.set(MAR_1);
    const ivy = await newMember("Ivy");
    const auth = await memberAuth(t, w.tenant, ivy);
    const upload = () =>
      t.app.inject({
        method: "POST",
        url: `/v1/members/${ivy}/student-id-images`,
        headers: { ...auth, "content-type": "image/png" },
        payload: PNG,
      });
    const photos = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("images").select("id").where("purpose", "=", "student_id").execute(),
    );
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await upload();
      expect(r.statusCode, r.body).toBe(201);
      ids.push(json<{ id: string }>(r).id);
    }
    const refused = await upload();
    expect(refused.statusCode, refused.body).toBe(422);
    expect(json<{ code: string }>(refused).code).toBe("too_many_student_id_images");
    const after = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("images").select("id").where("purpose", "=", "student_id").execute(),
    );
    expect(after.length).toBe(photos.length + 10);
    await w.ok(
      w.call(
        "POST",
        "/v1/student-verifications",
        {
          member_id: ivy,
          school: "Tongji",
          student_number: "1",
          graduation_date: "2028-06-30",
          image_id: ids[0],
        },
        auth,
      ),
      201,
    );
    expect((await upload()).statusCode).toBe(201);
  });
});

describe("settings", () => {
  it("accepts only student-only packages, known tags, and moves current students to a new tag", async () => {
    const open = await w.createPackage();
    const onlyStudents = await w.createPackage({ name: "Student Package", audience: { student: true } });
    const refused = await save({ page: { title: "t", body: "b", image_ids: [], package_ids: [open] } });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(json<{ code: string; errors: { field: string }[] }>(refused)).toMatchObject({
      code: "invalid_student_package",
      errors: [{ field: "/body/page/package_ids/0" }],
    });
    expect(await w.code(save({ student_tag: "nobody" }), 404)).toBe("member_tag_not_found");
    expect((await w.ok<{ student_tag: string }>(w.call("GET", "/v1/student-settings"))).student_tag).toBe(
      "student",
    );

    await w.ok(w.call("POST", "/v1/member-tags", { code: "campus", name: "Campus" }));
    await w.ok(w.call("POST", "/v1/member-groups", { code: "campus-club", name: "Campus club" }));
    const saved = await w.ok<Record<string, unknown>>(
      save({
        student_tag: "campus",
        student_group: "campus-club",
        page: { title: "t", body: "b", image_ids: [], package_ids: [onlyStudents] },
      }),
      200,
    );
    expect([saved.student_tag, saved.student_group]).toEqual(["campus", "campus-club"]);
    const students = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("members").select("id").where("student", "=", true).execute(),
    );
    expect(students.length).toBeGreaterThan(0);
    for (const s of students) {
      expect(await member(s.id)).toMatchObject({ tags: ["campus"], groups: ["campus-club"] });
    }
    const page = await w.ok<{ packages: { id: string; name: string }[] }>(
      w.call("GET", "/v1/student-verification-page"),
    );
    expect(page.packages).toEqual([{ id: onlyStudents, name: "Student Package", status: "active" }]);
  });
});

describe("dashboard in the tenant's zone", () => {
  it("counts new and expired yesterday across Shanghai's midnight", async () => {
    const d = await packageWorld({ t });
    const call = d.call;
    await d.ok(
      call("PUT", "/v1/student-settings", {
        ...settings(),
        student_tag: null,
        student_group: null,
        gift: { kind: "none" },
      }),
      200,
    );
    const mk = async (name: string) => (await d.ok<{ id: string }>(call("POST", "/v1/members", { name }))).id;
    const verify = async (id: string, graduation: string) => {
      const auth = await memberAuth(t, d.tenant, id);
      const img = json<{ id: string }>(
        await t.app.inject({
          method: "POST",
          url: `/v1/members/${id}/student-id-images`,
          headers: { ...auth, "content-type": "image/png" },
          payload: PNG,
        }),
      );
      const v = await d.ok<{ id: string }>(
        call("POST", "/v1/student-verifications", {
          member_id: id,
          school: "Tongji",
          student_number: "1",
          graduation_date: graduation,
          image_id: img.id,
        }),
        201,
      );
      return d.ok<Verification>(call("POST", `/v1/student-verifications/${v.id}/approve`), 200);
    };
    const [a, b, c, e, closed] = [await mk("A"), await mk("B"), await mk("C"), await mk("E"), await mk("X")];
    await d.ok(call("PATCH", `/v1/members/${closed}`, { status: "closed" }));

    t.clock.set("2026-05-10T10:00:00Z"); // 18:00 on 10 May
    // E graduates on 10 May: status ends at 00:00 on 11 May (16:00 UTC on 10 May).
    expect((await verify(e, "2026-05-10")).valid_until).toBe("2026-05-10T16:00:00.000Z");
    t.clock.set("2026-05-10T15:59:00Z"); // 23:59 on 10 May
    await verify(a, "2028-06-30");
    t.clock.set("2026-05-10T16:01:00Z"); // 00:01 on 11 May
    await verify(b, "2028-06-30");

    const dash = async (at: string) => {
      t.clock.set(at);
      return d.ok<{
        current_students: number;
        members: number;
        share_basis_points: number;
        yesterday: { date: string; new_students: number; expired_students: number };
      }>(call("GET", "/v1/student-dashboard"));
    };
    // 10:00 on 11 May: yesterday is 10 May — E and A approved; E's status ended at midnight (11 May).
    expect(await dash("2026-05-11T02:00:00Z")).toMatchObject({
      current_students: 2,
      members: 4,
      share_basis_points: 5000,
      yesterday: { date: "2026-05-10", new_students: 2, expired_students: 0 },
    });
    // 10:00 on 12 May, before the job ran: B approved and E expired on 11 May.
    expect(await dash("2026-05-12T02:00:00Z")).toMatchObject({
      current_students: 2,
      yesterday: { date: "2026-05-11", new_students: 1, expired_students: 1 },
    });
    await runStudentExpiry(t.deps, d.tenant.tenantId);
    expect((await dash("2026-05-12T02:00:00Z")).yesterday).toEqual({
      date: "2026-05-11",
      new_students: 1,
      expired_students: 1,
    });
    // A closed student leaves both numbers: 1 of 3.
    await d.ok(call("PATCH", `/v1/members/${a}`, { status: "closed" }));
    expect(await dash("2026-05-12T02:00:00Z")).toMatchObject({
      current_students: 1,
      members: 3,
      share_basis_points: 3333,
    });
    expect(c).toBeTruthy();
  });

  it("rounds the share half up in basis points", () => {
    expect([
      shareBasisPoints(1, 3),
      shareBasisPoints(2, 3),
      shareBasisPoints(1, 8),
      shareBasisPoints(0, 0),
    ]).toEqual([3333, 6667, 1250, 0]);
    expect(shareBasisPoints(1, 16)).toBe(625);
    expect(shareBasisPoints(1, 32)).toBe(313); // 312.5 → 313
  });
});

// Last: these approve students the dashboard above does not count.
describe("settings: a new tag or group", () => {
  it("moves current students but leaves a closed member's labels as it was closed with", async () => {
    t.clock.set(MAR_1);
    const open = await newMember("Open student");
    const closed = await newMember("Closed student");
    for (const id of [open, closed]) await approve((await submitted(id)).id);
    await w.ok(w.call("PATCH", `/v1/members/${closed}`, { status: "closed" }), 200);
    const closedBefore = await member(closed);
    expect(closedBefore).toMatchObject({ tags: ["campus"], groups: ["campus-club"] });
    await w.ok(w.call("POST", "/v1/member-tags", { code: "alumni-check", name: "Moved tag" }));
    await w.ok(save({ student_tag: "alumni-check", student_group: "students" }), 200);
    expect(await member(open)).toMatchObject({ tags: ["alumni-check"], groups: ["students"] });
    expect(await member(closed)).toEqual(closedBefore);
    await w.ok(save({ student_tag: "campus", student_group: "campus-club" }), 200);
    expect(await member(open)).toMatchObject({ tags: ["campus"], groups: ["campus-club"] });
  });
});

describe("settings: the reminder's lead", () => {
  it("is refused when it is as long as the validity can be, naming the field, and nothing is written", async () => {
    const labels = { student_tag: "campus", student_group: "campus-club" };
    const before = await w.ok<Record<string, unknown>>(w.call("GET", "/v1/student-settings"));
    for (const [validity, days, shortest] of [
      [{ count: 7, unit: "day" }, 7, 7],
      [{ count: 7, unit: "day" }, 30, 7],
      // 31 Jan + 1 month is 28 Feb: a month can last 28 days.
      [{ count: 1, unit: "month" }, 28, 28],
      // 1 Feb to 1 May, or 31 Jan to 30 Apr: 89 days.
      [{ count: 3, unit: "month" }, 89, 89],
    ] as const) {
      const refused = await save({ ...labels, validity, reminder_days_before: days });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(json<{ code: string; errors: { field: string; message: string }[] }>(refused)).toMatchObject({
        code: "validation_failed",
        errors: [
          { field: "/body/reminder_days_before", message: expect.stringContaining(`less than ${shortest}`) },
        ],
      });
    }
    expect(await w.ok<Record<string, unknown>>(w.call("GET", "/v1/student-settings"))).toEqual(before);

    for (const [validity, days] of [
      [{ count: 7, unit: "day" }, 6],
      [{ count: 1, unit: "day" }, 0],
      [{ count: 1, unit: "month" }, 27],
      [{ count: 3, unit: "month" }, 88],
      [{ count: 1, unit: "year" }, 90],
    ] as const) {
      const saved = await w.ok<Record<string, unknown>>(
        save({ ...labels, validity, reminder_days_before: days }),
        200,
      );
      expect(saved).toMatchObject({ validity, reminder_days_before: days });
    }
    // A 27-day lead on one month, approved on 31 Jan (ends 28 Feb): the reminder comes a day after.
    t.clock.set(new Date("2027-01-31T04:00:00Z"));
    await w.ok(save({ ...labels, validity: { count: 1, unit: "month" }, reminder_days_before: 27 }), 200);
    const approved = await approve((await submitted(await newMember("Short month"))).id);
    const stored = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx
        .selectFrom("student_verifications")
        .select(["valid_until", "remind_at"])
        .where("id", "=", approved.id)
        .executeTakeFirstOrThrow(),
    );
    expect([stored.valid_until?.toISOString(), stored.remind_at?.toISOString()]).toEqual([
      "2027-02-28T04:00:00.000Z",
      "2027-02-01T04:00:00.000Z",
    ]);
    await w.ok(save(labels), 200);
  });
});

describe("the reminder and a graduation date inside its lead", () => {
  const remindAt = async (id: string) =>
    (
      await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
        trx
          .selectFrom("student_verifications")
          .select("remind_at")
          .where("id", "=", id)
          .executeTakeFirstOrThrow(),
      )
    ).remind_at?.toISOString() ?? null;
  const texts = (phone: string) => sms.filter((m) => m.to === phone).map((m) => m.text);

  it("schedules none when it would come before, or within a day of, the approval; a far end still reminds on time", async () => {
    // 11:00 on 1 Mar 2027 in Shanghai; 6 months, a reminder 7 days before.
    t.clock.set("2027-03-01T03:00:00Z");
    await w.ok(save({ student_tag: "campus", student_group: "campus-club" }), 200);
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    const near = await newMember("Graduates in 3 days", { phone: "13800000061" });
    const far = await newMember("Graduates in 2028", { phone: "13800000062" });
    const nearApproval = await approve((await submitted(near, "2027-03-03")).id);
    const farApproval = await approve((await submitted(far, "2028-06-30")).id);
    // Ends at the end of 3 Mar; 7 days before that is 24 Feb, before the approval: the job
    // running right after the approval tells the member nothing.
    expect(nearApproval.valid_until).toBe("2027-03-03T16:00:00.000Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    expect(texts("13800000061")).toEqual([]);
    expect(await remindAt(nearApproval.id)).toBeNull();
    expect(await remindAt(farApproval.id)).toBe("2027-08-25T03:00:00.000Z");
    // The margin: a reminder 13 hours after the approval is not scheduled, 37 hours after is.
    const halfDay = await approve((await submitted(await newMember("Ends 9 Mar"), "2027-03-08")).id);
    const dayAndAHalf = await approve((await submitted(await newMember("Ends 10 Mar"), "2027-03-09")).id);
    expect(await remindAt(halfDay.id)).toBeNull();
    expect(await remindAt(dayAndAHalf.id)).toBe("2027-03-02T16:00:00.000Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    t.clock.set("2027-03-02T03:00:00Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    expect(texts("13800000061")).toEqual([]);
    t.clock.set("2027-03-03T16:00:00Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    const ended = await w.ok<Verification>(w.call("GET", `/v1/student-verifications/${nearApproval.id}`));
    expect([ended.status, ended.end_reason, ended.reminder_sent_at]).toEqual(["expired", "graduated", null]);
    expect(texts("13800000061")).toEqual([]);
    const inbox = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("inbox_messages").select("title").where("recipient", "=", near).execute(),
    );
    expect(inbox).toEqual([]);

    t.clock.set("2027-08-25T02:59:00Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    expect(texts("13800000062")).toEqual([]);
    t.clock.set("2027-08-25T03:00:00Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    expect(texts("13800000062")).toEqual([expect.stringContaining("2027-09-01")]);
  });
});

describe("the job and a closed member", () => {
  it("ends the approval but leaves the closed member's flag and labels, and reminds no one", async () => {
    t.clock.set("2027-10-01T03:00:00Z");
    await w.ok(save({ student_tag: "campus", student_group: "campus-club" }), 200);
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    const closed = await newMember("Closed with status", { phone: "13800000063" });
    const approved = await approve((await submitted(closed, "2029-06-30")).id);
    expect(approved.valid_until).toBe("2028-04-01T03:00:00.000Z");
    await w.ok(w.call("PATCH", `/v1/members/${closed}`, { status: "closed" }), 200);
    const before = await member(closed);
    expect(before).toMatchObject({ student: true, tags: ["campus"], groups: ["campus-club"] });

    // The reminder's time comes: marked sent, delivered nowhere.
    t.clock.set("2028-03-25T03:00:00Z");
    await runStudentExpiry(t.deps, w.tenant.tenantId);
    // The end comes: the approval expires, the closed member stays as it was closed.
    t.clock.set("2028-04-01T03:00:00Z");
    expect(await runStudentExpiry(t.deps, w.tenant.tenantId)).toBeGreaterThanOrEqual(1);
    const ended = await w.ok<Verification>(w.call("GET", `/v1/student-verifications/${approved.id}`));
    expect([ended.status, ended.end_reason]).toEqual(["expired", "validity_ended"]);
    expect(await member(closed)).toEqual(before);
    // Nothing is due any more.
    expect(await runStudentExpiry(t.deps, w.tenant.tenantId)).toBe(0);
    expect(sms.filter((m) => m.to === "13800000063")).toEqual([]);
    const notices = await t.deps.db.tenantTx(w.tenant.tenantId, async (trx) => [
      await trx.selectFrom("inbox_messages").select("title").where("recipient", "=", closed).execute(),
      await trx
        .selectFrom("notification_deliveries")
        .select("id")
        .where("recipient", "in", [closed, "13800000063"])
        .execute(),
    ]);
    expect(notices).toEqual([[], []]);
  });
});
