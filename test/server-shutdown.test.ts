import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.js";
import { startServerProcess } from "./helpers/server-process.js";

const TOP_UPS = 56;
const EXPORTS = 8;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Keeps every core busy, so the drain races real scheduling delays. */
function loadCpus(): ChildProcess[] {
  return os.cpus().map(() =>
    spawn(process.execPath, ["-e", "const end = Date.now() + 120000; while (Date.now() < end) {}"], {
      stdio: "ignore",
    }),
  );
}

interface Acknowledged {
  topUps: string[];
  exports: string[];
  /** Successful answers that told the client to close the connection (sent after SIGTERM). */
  closing: number;
}

describe("SIGTERM while requests and jobs are in flight", () => {
  it("drains, exits 0 without an unhandled error, and keeps every acknowledged write", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-shutdown-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const apiKey = `demo_${"s".repeat(40)}`;
    const env = {
      VOUCHSAFE_DATA_DIR: dataDir,
      VOUCHSAFE_PG_PORT: String(await freePort()),
      VOUCHSAFE_DEMO_API_KEY: apiKey,
      DATABASE_URL: "",
    };
    const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };

    const first = await startServerProcess(env);
    cleanups.push(async () => void (await first.stop("SIGKILL")));
    const created = await fetch(`${first.baseUrl}/v1/members`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": "shutdown-member" },
      body: JSON.stringify({ name: "Drain Test" }),
    });
    expect(created.status).toBe(201);
    const memberId = ((await created.json()) as { id: string }).id;

    const busy = loadCpus();
    cleanups.push(() => {
      for (const child of busy) child.kill("SIGKILL");
    });

    const acknowledged: Acknowledged = { topUps: [], exports: [], closing: 0 };
    let answered = 0;
    let firstAnswer: () => void = () => {};
    const someAnswered = new Promise<void>((resolve) => {
      firstAnswer = resolve;
    });
    const send = async (url: string, body: unknown, key: string, onOk: (json: unknown) => void) => {
      try {
        const response = await fetch(`${first.baseUrl}${url}`, {
          method: "POST",
          headers: { ...headers, "idempotency-key": key },
          body: JSON.stringify(body),
        });
        if (response.ok) {
          if (response.headers.get("connection") === "close") acknowledged.closing += 1;
          onOk(await response.json());
        }
      } catch {
        // Refused or cut off by the shutdown: never acknowledged, so nothing is owed.
      } finally {
        answered += 1;
        if (answered >= 4) firstAnswer();
      }
    };
    const inFlight = [
      ...Array.from({ length: TOP_UPS }, (_, i) =>
        send(`/v1/members/${memberId}/top-ups`, { amount: 100 + i }, `top-up-${i}`, (json) =>
          acknowledged.topUps.push((json as { change_id: string }).change_id),
        ),
      ),
      ...Array.from({ length: EXPORTS }, (_, i) =>
        send("/v1/exports", { type: "audit_events", format: "csv" }, `export-${i}`, (json) =>
          acknowledged.exports.push((json as { id: string }).id),
        ),
      ),
    ];
    // Signal once the server is visibly busy answering, with most requests still queued.
    await someAnswered;
    const exitCode = await first.stop("SIGTERM");
    await Promise.all(inFlight);
    for (const child of busy) child.kill("SIGKILL");

    const output = first.output();
    expect(exitCode, output).toBe(0);
    expect(output).not.toMatch(/Unhandled|uncaught/i);
    expect(output).toContain("Stopped.");
    expect(acknowledged.topUps.length).toBeGreaterThan(0);
    // Requests still running at SIGTERM were answered with their connection closed, so no
    // kept-alive connection held the drain open until its timeout.
    expect(acknowledged.closing, output).toBeGreaterThan(0);

    const second = await startServerProcess(env);
    cleanups.push(async () => void (await second.stop("SIGKILL")));
    const changes = await fetch(`${second.baseUrl}/v1/members/${memberId}/balance-changes?limit=100`, {
      headers,
    });
    expect(changes.status).toBe(200);
    const recorded = new Set(((await changes.json()) as { data: { id: string }[] }).data.map((c) => c.id));
    for (const changeId of acknowledged.topUps) expect(recorded, changeId).toContain(changeId);
    for (const exportId of acknowledged.exports) {
      const job = await fetch(`${second.baseUrl}/v1/exports/${exportId}`, { headers });
      expect(job.status, exportId).toBe(200);
    }
    expect(await second.stop("SIGTERM"), second.output()).toBe(0);
  }, 900_000);
});
