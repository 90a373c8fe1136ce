import pg from "pg";
import type { TestDatabase } from "./db.js";

/**
 * Every few milliseconds until stopped, cancels the statement of a random busy session of
 * the test database (`cancel`) or ends the session (`terminate`); answers how many reached a
 * session (`count` says so far).
 */
export function interruptAtRandom(
  t: Pick<TestDatabase, "url" | "name">,
  how: "cancel" | "terminate" = "cancel",
): { stop: () => Promise<number>; count: () => number } {
  let running = true;
  let cancelled = 0;
  const done = (async () => {
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      while (running) {
        const { rows } = await client.query<{ pid: number }>(
          `select pid from pg_stat_activity
           where datname = $1 and pid <> pg_backend_pid() and state = 'active' and backend_type = 'client backend'`,
          [t.name],
        );
        const victim = rows[Math.floor(Math.random() * rows.length)];
        if (victim) {
          const r = await client.query<{ ok: boolean }>(
            `select pg_${how === "cancel" ? "cancel" : "terminate"}_backend($1) as ok`,
            [victim.pid],
          );
          if (r.rows[0]?.ok) cancelled++;
        }
        await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 4));
      }
    } finally {
      await client.end();
    }
    return cancelled;
  })();
  return {
    count: () => cancelled,
    stop: async () => {
      running = false;
      return done;
    },
  };
}
