import { readFile } from "node:fs/promises";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/db.js";
import { freePort } from "../../db/embedded.js";
import { isDatabaseUnreachable } from "./problem.js";

/**
 * Which failures answer 503 service_unavailable (send it again) rather than 500: each error
 * here is a real one, made by a real connection, session or call, not a hand-built object.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ poolSize: 2 });
});
afterAll(async () => t?.drop());

const caught = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("it did not fail");
};

describe("a database that cannot be reached", () => {
  it("is a connection refused, a session the server ended, or a connection lost under a query", async () => {
    const port = await freePort();
    const refused = await caught(async () => {
      const client = new pg.Client({ host: "127.0.0.1", port, user: "x", database: "x" });
      await client.connect();
    });
    expect(refused).toMatchObject({ code: "ECONNREFUSED" });
    expect(isDatabaseUnreachable(refused)).toBe(true);

    // The server ends the session (a restart, a failover, an operator): 57P01, then the
    // connection is gone for the next query.
    const client = new pg.Client({ connectionString: t.url });
    client.on("error", () => {});
    await client.connect();
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    // Its failure is taken at once: it may arrive before the terminating statement's answer.
    const waiting = caught(() => client.query("select pg_sleep(30)"));
    await new Promise((r) => setTimeout(r, 200));
    await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(t.owner);
    const terminated = await waiting;
    expect(terminated).toMatchObject({ code: "57P01" });
    expect(isDatabaseUnreachable(terminated)).toBe(true);
    const afterwards = await caught(() => client.query("select 1"));
    expect(isDatabaseUnreachable(afterwards), String(afterwards)).toBe(true);
    await client.end().catch(() => {});
  });

  it("is not a refusal of the database's, a missing file, or a bug", async () => {
    const refusal = await caught(() => t.db.tenantTx("ten_none", () => sql`select 1/0`.execute(t.owner)));
    expect(refusal).toMatchObject({ code: "22012" });
    expect(isDatabaseUnreachable(refusal)).toBe(false);
    const missing = await caught(() => readFile("/nonexistent/vouchsafe-file"));
    expect(missing).toMatchObject({ code: "ENOENT" });
    expect(isDatabaseUnreachable(missing)).toBe(false);
    const bug = await caught(async () => (undefined as unknown as { x: number }).x);
    expect(isDatabaseUnreachable(bug)).toBe(false);
  });
});
