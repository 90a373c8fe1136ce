import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { createFileJob, type FileDeps, getFileJob, runFileJob, saveUpload } from "./file-jobs.js";

let t: TestApp;
let tenant: TestTenant;
let files: FileDeps;
const now = () => t.clock.now();

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  files = { db: t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-import-crash-")) };
});
afterAll(async () => {
  await t?.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

/** The job's end cannot be recorded (the process is gone) from the moment this is set until it is lifted. */
async function jobEndUnrecordable(jobId: string, on: boolean) {
  await t.deps.db.systemTx(async (trx) => {
    if (!on) {
      await sql`drop trigger if exists crash_before_job_end on file_jobs`.execute(trx);
      return;
    }
    await sql
      .raw(`create or replace function crash_before_job_end() returns trigger language plpgsql as $$
        begin
          if new.id = '${jobId}' and new.status in ('succeeded', 'failed') then
            raise exception 'the process stopped';
          end if;
          return new;
        end $$`)
      .execute(trx);
    await sql`create trigger crash_before_job_end before update on file_jobs
      for each row execute function crash_before_job_end()`.execute(trx);
  });
}

describe("an import whose process stops before it records its end", () => {
  it("is imported once when the queue runs it again", async () => {
    const tenantId = tenant.tenantId;
    const job = await t.deps.db.tenantTx(tenantId, (trx) =>
      createFileJob(trx, tenantId, { kind: "import", type: "members", format: "csv", createdBy: "k" }, now()),
    );
    const csv = "name\nCrash Ada\nCrash Bob\n";
    const saved = await saveUpload(files.dataDir, tenantId, job.id, "csv", Readable.from([Buffer.from(csv)]));
    await t.deps.db.tenantTx(tenantId, (trx) =>
      trx
        .updateTable("file_jobs")
        .set({ file_path: saved.relative, file_size: saved.size })
        .where("id", "=", job.id)
        .execute(),
    );

    await jobEndUnrecordable(job.id, true);
    await expect(runFileJob(files, tenantId, job.id, now)).rejects.toThrow(/the process stopped/);
    await jobEndUnrecordable(job.id, false);
    expect((await t.deps.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id))).status).toBe(
      "running",
    );

    // The queue's retry.
    await runFileJob(files, tenantId, job.id, now);
    const done = await t.deps.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
    expect(done).toMatchObject({ status: "succeeded", rows_done: 2 });
    const members = await t.deps.db.tenantTx(tenantId, (trx) =>
      trx.selectFrom("members").select("name").where("name", "like", "Crash %").orderBy("name").execute(),
    );
    expect(members.map((m) => m.name)).toEqual(["Crash Ada", "Crash Bob"]);
  });
});
