import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const FIXTURE_CONFIG = "test/fixtures/exit-code/vitest.config.ts";

/** `npm test` (the README's test command) on the fixture folder, filtered to one file. */
function npmTest(filter: string) {
  const env = { ...process.env };
  // The child must not write CI's report over the real run's.
  delete env.CI;
  const run = spawnSync("npm", ["test", "--", "--config", FIXTURE_CONFIG, filter], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 180_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe("npm test's exit status", () => {
  it("is non-zero when a test fails", () => {
    const run = npmTest("failing.fixture");
    expect(run.output).toContain("fails on purpose");
    expect(run.status, run.output).not.toBe(0);
  }, 200_000);

  it("is non-zero when a test file fails to load", () => {
    const run = npmTest("broken.fixture");
    expect(run.output).toContain("this file fails to load");
    expect(run.status, run.output).not.toBe(0);
  }, 200_000);

  it("is non-zero when no test ran", () => {
    const run = npmTest("no-such-fixture");
    expect(run.status, run.output).not.toBe(0);
  }, 200_000);

  it("is zero when every test passes (so the checks above are not vacuous)", () => {
    const run = npmTest("passing.fixture");
    expect(run.status, run.output).toBe(0);
  }, 200_000);
});

describe(".ci/run's closing line and exit status", () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function summary(report: object | undefined, status: number) {
    dir ??= await mkdtemp(path.join(os.tmpdir(), "vouchsafe-ci-"));
    const file = path.join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
    if (report) await writeFile(file, JSON.stringify(report));
    const run = spawnSync(process.execPath, ["scripts/ci-summary.mjs", file, String(status)], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return { status: run.status, line: run.stdout.trim() };
  }

  const file = (status: string, tests: number) => ({
    status,
    assertionResults: Array.from({ length: tests }, () => ({ status })),
  });

  it("passes a clean run", async () => {
    const r = await summary(
      { numTotalTests: 3, numPassedTests: 3, numFailedTests: 0, testResults: [file("passed", 3)] },
      0,
    );
    expect(r).toEqual({ status: 0, line: "3 passed, 0 failed" });
  });

  it("fails on a failed test even when the test command exited 0", async () => {
    const r = await summary(
      { numTotalTests: 3, numPassedTests: 2, numFailedTests: 1, testResults: [file("failed", 3)] },
      0,
    );
    expect(r).toEqual({ status: 1, line: "2 passed, 1 failed" });
  });

  it("counts a file that failed to load", async () => {
    const r = await summary(
      {
        numTotalTests: 2,
        numPassedTests: 2,
        numFailedTests: 0,
        testResults: [file("passed", 2), file("failed", 0)],
      },
      1,
    );
    expect(r).toEqual({ status: 1, line: "2 passed, 1 failed" });
  });

  it("fails a run whose command failed with every counted test passing", async () => {
    const r = await summary(
      { numTotalTests: 1, numPassedTests: 1, numFailedTests: 0, testResults: [file("passed", 1)] },
      1,
    );
    expect(r).toEqual({ status: 1, line: "1 passed, 1 failed" });
  });

  it("fails a run that ran no test, and one that left no report", async () => {
    expect(
      await summary({ numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, testResults: [] }, 0),
    ).toEqual({ status: 1, line: "0 passed, 1 failed" });
    expect(await summary(undefined, 0)).toEqual({ status: 1, line: "0 passed, 1 failed" });
  });

  it("reports skipped tests", async () => {
    const r = await summary(
      {
        numTotalTests: 3,
        numPassedTests: 2,
        numFailedTests: 0,
        numPendingTests: 1,
        testResults: [file("passed", 3)],
      },
      0,
    );
    expect(r).toEqual({ status: 0, line: "2 passed, 0 failed, 1 skipped" });
  });
});
