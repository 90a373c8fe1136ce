import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../../../test/helpers/app.js";
import { type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { runStudentExpiry } from "./index.js";

/** Submissions and approvals at the same time: one pending per member, one approval, one gift. */
let w: PackageWorld;
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

/** The student settings as one save sends them: six months, no tag, no group, no gift. */
function settingsBody(changes: Record<string, unknown> = {}) {
  return {
    validity: { count: 6, unit: "month" },
    reminder_days_before: 7,
    page: { title: "", body: "", image_ids: [], package_ids: [] },
    student_tag: null,
    student_group: null,
    gift: { kind: "none" },
    gift_rule: "every_verification",
    ...changes,
  };
}

beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set("2026-03-01T03:00:00Z");
  await w.ok(
    w.call(
      "PUT",
      "/v1/student-settings",
      settingsBody({ gift: { kind: "voucher", template_id: w.coffee, quantity: 1 } }),
    ),
    200,
  );
});
afterAll(async () => w?.t.close());

async function photo(memberId: string) {
  const r = await w.t.app.inject({
    method: "POST",
    url: `/v1/members/${memberId}/student-id-images`,
    headers: { ...w.tenant.auth, "content-type": "image/png" },
    payload: PNG,
  });
  return json<{ id: string }>(r).id;
}

/** Submits a verification for `memberId` and answers its id. */
async function submit(memberId: string, studentNumber: string) {
  const submitted = await w.call("POST", "/v1/student-verifications", {
    member_id: memberId,
    school: "Tongji",
    student_number: studentNumber,
    graduation_date: "2029-06-30",
    image_id: await photo(memberId),
  });
  return json<{ id: string }>(submitted).id;
}

/** A review of the member holds its row (as approving a re-verification does) until released. */
async function holdMemberRow(memberId: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding!: () => void;
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const review = w.t.deps.db.tenantTx(w.tenant.tenantId, async (trx) => {
    await trx.selectFrom("members").select("id").where("id", "=", memberId).forUpdate().execute();
    holding();
    await released;
  });
  await held;
  return async () => {
    release();
    await review;
  };
}

describe("concurrent verification", () => {
  it("ten submissions at once for one member leave one pending; ten approvals give one gift", async () => {
    const m = await w.member(0, null, "Eve");
    const image = await photo(m);
    const body = {
      member_id: m,
      school: "Tongji",
      student_number: "1950001",
      graduation_date: "2029-06-30",
      image_id: image,
    };
    const submits = await Promise.all(
      Array.from({ length: 10 }, () => w.call("POST", "/v1/student-verifications", body)),
    );
    expect(submits.map((r) => r.statusCode).sort()).toEqual([201, ...Array(9).fill(409)]);
    const id = json<{ id: string }>(submits.find((r) => r.statusCode === 201)!).id;

    const approvals = await Promise.all(
      Array.from({ length: 10 }, () => w.call("POST", `/v1/student-verifications/${id}/approve`)),
    );
    expect(approvals.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
    const vouchers = await w.ok<{ data: unknown[] }>(w.call("GET", `/v1/members/${m}/vouchers`));
    expect(vouchers.data).toHaveLength(1);
    const events = await w.t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("events").select("type").where("type", "like", "student.%").execute(),
    );
    expect(events.map((e) => e.type).sort()).toEqual(["student.verification_submitted", "student.verified"]);
  });
});

describe("expiry beside a review", () => {
  it("the job passes over a member whose row a review holds, instead of waiting on it", async () => {
    const { t, tenant } = w;
    t.clock.set("2026-03-01T03:00:00Z");
    const m = await w.member(0, null, "Kay");
    const id = await submit(m, "1950002");
    await w.ok(w.call("POST", `/v1/student-verifications/${id}/approve`), 200);
    t.clock.set("2026-09-01T03:00:00Z");

    const endReview = await holdMemberRow(m);
    let settled: number | undefined;
    const job = runStudentExpiry(t.deps, tenant.tenantId).then((n) => {
      settled = n;
    });
    const outcome = await waitFor(async () => {
      if (settled !== undefined) return "settled";
      const waiting = await sql<{ n: string }>`
        select count(*) as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'`.execute(t.database.owner);
      return Number(waiting.rows[0]?.n) > 0 ? "blocked" : undefined;
    }, "the expiry job to finish or wait on a lock");
    await endReview();
    await job;
    expect(outcome).toBe("settled");
    // Once the review is over, the next run ends the approval.
    await runStudentExpiry(t.deps, tenant.tenantId);
    const v = await w.ok<{ status: string }>(w.call("GET", `/v1/student-verifications/${id}`), 200);
    expect(v.status).toBe("expired");
  });
});

describe("an approval beside a settings save that changes the student tag", () => {
  it("the member ends with the tag the settings name, whichever commits first", async () => {
    const { t } = w;
    t.clock.set("2026-03-01T03:00:00Z");
    await w.ok(w.call("POST", "/v1/member-tags", { code: "tag-before", name: "Before" }));
    await w.ok(w.call("POST", "/v1/member-tags", { code: "tag-after", name: "After" }));
    const settings = (tag: string) => settingsBody({ student_tag: tag });
    await w.ok(w.call("PUT", "/v1/student-settings", settings("tag-before")), 200);
    const m = await w.member(0, null, "Lou");
    const id = await submit(m, "1950003");

    // The approval is held just as it makes the member a student: it has read the settings.
    const owner = t.database.owner;
    await sql`create function test_hold_student() returns trigger language plpgsql as $$
      begin perform pg_advisory_xact_lock(424242); return new; end $$`.execute(owner);
    await sql`create trigger test_hold_student before update on members for each row
      when (new.student and not old.student) execute function test_hold_student()`.execute(owner);
    try {
      const gate = { release: () => {} };
      let holding!: () => void;
      const held = new Promise<void>((resolve) => {
        holding = resolve;
      });
      const holder = owner.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(424242)`.execute(trx);
        holding();
        await new Promise<void>((resolve) => {
          gate.release = resolve;
        });
      });
      await held;
      const waiting = async () =>
        Number(
          (
            await sql<{ n: string }>`select count(*) as n from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock'`.execute(owner)
          ).rows[0]?.n,
        );
      const approval = w.call("POST", `/v1/student-verifications/${id}/approve`);
      await waitFor(async () => (await waiting()) > 0, "the approval to be held");
      let saved = false;
      const save = w.call("PUT", "/v1/student-settings", settings("tag-after")).then((r) => {
        saved = true;
        return r;
      });
      await waitFor(async () => saved || (await waiting()) > 1, "the save to finish or wait");
      gate.release();
      await holder;
      expect((await approval).statusCode).toBe(200);
      expect((await save).statusCode).toBe(200);
    } finally {
      await sql`drop trigger test_hold_student on members`.execute(owner);
      await sql`drop function test_hold_student()`.execute(owner);
    }
    const member = await w.ok<{ student: boolean; tags: string[] }>(w.call("GET", `/v1/members/${m}`), 200);
    expect(member.student).toBe(true);
    expect(member.tags).toEqual(["tag-after"]);
  });
});

describe("a reminder beside an approval the job passed over", () => {
  it("an approval whose end has come is not reminded, even while a review holds its member", async () => {
    const { t, tenant } = w;
    t.clock.set("2026-03-01T03:00:00Z");
    await w.ok(w.call("PUT", "/v1/student-settings", settingsBody()), 200);
    const m = await w.member(0, null, "Max");
    const id = await submit(m, "1950004");
    await w.ok(w.call("POST", `/v1/student-verifications/${id}/approve`), 200);
    // The job did not run for the reminder (due 25 Aug) before the end (1 Sep) came.
    t.clock.set("2026-09-02T03:00:00Z");

    const endReview = await holdMemberRow(m);
    await runStudentExpiry(t.deps, tenant.tenantId);
    await endReview();
    const passed = await w.ok<{ status: string; reminder_sent_at: string | null }>(
      w.call("GET", `/v1/student-verifications/${id}`),
      200,
    );
    expect(passed).toMatchObject({ status: "approved", reminder_sent_at: null });
    await runStudentExpiry(t.deps, tenant.tenantId);
    const ended = await w.ok<{ status: string; reminder_sent_at: string | null }>(
      w.call("GET", `/v1/student-verifications/${id}`),
      200,
    );
    expect(ended).toMatchObject({ status: "expired", reminder_sent_at: null });
  });
});
