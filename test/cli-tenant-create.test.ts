import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";

/** `vouchsafe tenant create --sandbox` holds a test clock to the bounds the API holds it to. */
const ROOT = path.resolve(import.meta.dirname, "..");
let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 2 });
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-cli-"));
});
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/vouchsafe.js", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      VOUCHSAFE_DATA_DIR: dataDir,
      VOUCHSAFE_SIGNING_SECRET: "s".repeat(40),
    },
    encoding: "utf8",
  });

const tenantsNamed = async (name: string) =>
  (await database.owner.selectFrom("tenants").select("id").where("name", "=", name).execute()).length;

describe("vouchsafe tenant create --sandbox --clock-starts-at", () => {
  it("refuses a start no business has, creating nothing, and exits non-zero", async () => {
    for (const startsAt of ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "9999-01-01T00:00:00Z"]) {
      const name = `Clock ${startsAt}`;
      const run = cli(
        "tenant",
        "create",
        "--name",
        name,
        "--sandbox",
        "--clock-starts-at",
        startsAt,
        "--json",
      );
      expect(run.status, run.stdout).toBe(2);
      expect(run.stderr).toContain("--clock-starts-at must be between 2000-01-01T00:00:00.000Z and ");
      expect(await tenantsNamed(name)).toBe(0);
    }
  });

  it("creates a sandbox whose clock starts at a start within the bounds", async () => {
    const run = cli(
      "tenant",
      "create",
      "--name",
      "Clock in bounds",
      "--sandbox",
      "--clock-starts-at",
      "2000-01-01T00:00:00Z",
      "--json",
    );
    expect(run.status, run.stderr).toBe(0);
    const { tenant_id } = JSON.parse(run.stdout) as { tenant_id: string };
    const clock = await database.owner
      .selectFrom("tenant_clocks")
      .select("frozen_at")
      .where("tenant_id", "=", tenant_id)
      .executeTakeFirstOrThrow();
    expect(clock.frozen_at).toEqual(new Date("2000-01-01T00:00:00Z"));
  });
});
