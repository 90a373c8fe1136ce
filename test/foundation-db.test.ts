import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, openingStatements, rowsOfStatements, statementName } from "../src/db/database.js";
import { countRoundTripsOf, type RoundTrips } from "../src/shared/round-trips.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { signal } from "./helpers/wait.js";

/** `work`'s result, its round trips counted into `counter` until it settles. */
function countedWhile<T>(counter: RoundTrips, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    countRoundTripsOf(counter, (release) => {
      work().then(resolve, reject).finally(release);
    }),
  );
}

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("tenant isolation in the database", () => {
  it("every table with a tenant_id has it leading its primary key and row-level security on", async () => {
    const rows = await sql<{ table_name: string; pk_first: string | null; rls: boolean }>`
      select c.relname as table_name,
             (select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
               where i.indrelid = c.oid and i.indisprimary) as pk_first,
             c.relrowsecurity as rls
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)`.execute(
      t.owner,
    );
    expect(rows.rows.length).toBeGreaterThan(5);
    for (const row of rows.rows) {
      expect({ table: row.table_name, pk_first: row.pk_first, rls: row.rls }).toEqual({
        table: row.table_name,
        pk_first: "tenant_id",
        rls: true,
      });
    }
  });

  it("a query without a tenant sees nothing and cannot write", async () => {
    await t.owner.insertInto("tenants").values({ id: "ten_a", name: "A" }).execute();
    await t.owner
      .insertInto("org_units")
      .values({ tenant_id: "ten_a", id: "ou_1", kind: "organization", name: "HQ", path: "/ou_1/" })
      .execute();
    const unscoped = await t.db.kysely.selectFrom("org_units").selectAll().execute();
    expect(unscoped).toHaveLength(0);
    await expect(
      t.db.kysely
        .insertInto("org_units")
        .values({ tenant_id: "ten_a", id: "ou_2", kind: "store", name: "S", path: "/ou_2/" })
        .execute(),
    ).rejects.toThrow(/row-level security/);
    const scoped = await t.db.tenantTx("ten_a", (trx) => trx.selectFrom("org_units").selectAll().execute());
    expect(scoped.map((r) => r.id)).toEqual(["ou_1"]);
    const otherTenant = await t.db.tenantTx("ten_b", (trx) =>
      trx.selectFrom("org_units").selectAll().execute(),
    );
    expect(otherTenant).toHaveLength(0);
  });

  it("tenantRead reads one tenant's rows in one round trip, read only, and outlives a changed table", async () => {
    await t.owner.insertInto("tenants").values({ id: "ten_r", name: "R" }).execute();
    await t.owner
      .insertInto("org_units")
      .values([
        { tenant_id: "ten_r", id: "ou_r1", kind: "organization", name: "HQ", path: "/ou_r1/" },
        { tenant_id: "ten_a", id: "ou_a9", kind: "store", name: "Other", path: "/ou_1/ou_a9/" },
      ])
      .execute();
    const units = { text: "select * from org_units order by id", values: [] };
    const named = {
      text: "select name from org_units where id = any($1::text[]) order by id",
      values: [["ou_r1", "ou_a9"]],
    };
    const counter = { count: 0 };
    const rows = await countedWhile(counter, () => t.db.tenantRead("ten_r", [units, named]));
    // Row-level security confines even a query without a tenant filter to the tenant set.
    expect(rows.map((r) => r.map((x) => x.id ?? x.name))).toEqual([["ou_r1"], ["HQ"]]);
    const again = await countedWhile(counter, () => t.db.tenantRead("ten_r", [units, named]));
    expect(again).toEqual(rows);
    expect(counter.count).toBe(2);

    // Read only: a statement that writes is refused, and the pool goes on serving reads.
    await expect(
      t.db.tenantRead("ten_r", [{ text: "delete from org_units where id = $1::text", values: ["ou_r1"] }]),
    ).rejects.toThrow(/read-only transaction/);
    expect(
      await t.owner.selectFrom("org_units").select("id").where("id", "=", "ou_r1").execute(),
    ).toHaveLength(1);

    // The table gains a column while the connection holds `select *` prepared: the read
    // still answers, with the new column.
    expect(await t.db.tenantRead("ten_r", [units])).toEqual([rows[0]]);
    await sql`alter table org_units add column motto text`.execute(t.owner);
    try {
      const changed = await t.db.tenantRead("ten_r", [units]);
      expect(changed[0]![0]).toMatchObject({ id: "ou_r1", motto: null });
    } finally {
      await sql`alter table org_units drop column motto`.execute(t.owner);
    }
  });

  it("tenantQuery answers a Kysely query as a tenant transaction does, in one round trip, confined and read only", async () => {
    await t.owner.insertInto("tenants").values({ id: "ten_q", name: "Q" }).execute();
    await t.owner
      .insertInto("org_units")
      .values([
        { tenant_id: "ten_q", id: "ou_q1", kind: "organization", name: "HQ", path: "/ou_q1/" },
        { tenant_id: "ten_q", id: "ou_q2", kind: "store", name: "Store", path: "/ou_q1/ou_q2/" },
      ])
      .execute();
    // No tenant filter: row-level security alone keeps ten_a's units out.
    const units = t.db.kysely
      .selectFrom("org_units")
      .selectAll()
      .where("id", "in", ["ou_q1", "ou_q2", "ou_1"])
      .where("created_at", "<", new Date(Date.now() + 60_000))
      .orderBy("id");
    await t.db.tenantQuery("ten_q", units); // a connection's first query also sets its role
    const counter = { count: 0 };
    const read = await countedWhile(counter, () => t.db.tenantQuery("ten_q", units));
    expect(counter.count).toBe(1);
    const inTransaction = await countedWhile(counter, () =>
      t.db.tenantTx("ten_q", (trx) => trx.executeQuery(units.compile())),
    );
    expect(counter.count).toBe(3);
    expect(read).toEqual(inTransaction.rows);
    expect(read.map((u) => u.id)).toEqual(["ou_q1", "ou_q2"]);
    expect(read[0]!.created_at).toBeInstanceOf(Date);

    // A parameter the pipeline does not send (a JSON object) goes through a tenant transaction.
    counter.count = 0;
    const echoed = await countedWhile(counter, () =>
      t.db.tenantQuery(
        "ten_q",
        t.db.kysely.selectNoFrom(
          sql<unknown>`${JSON.stringify({ a: 1 })}::jsonb || ${{ b: 2 }}::jsonb`.as("doc"),
        ),
      ),
    );
    expect(echoed).toEqual([{ doc: { a: 1, b: 2 } }]);
    expect(counter.count).toBe(4); // BEGIN, SET TRANSACTION READ ONLY, the query, COMMIT

    await expect(
      t.db.tenantQuery("ten_q", t.db.kysely.deleteFrom("org_units").where("id", "=", "ou_q2")),
    ).rejects.toThrow(/read-only transaction/);
    // Read only in a tenant transaction too.
    const renameByJson = t.db.kysely
      .updateTable("org_units")
      .set("name", sql<string>`${{ name: "renamed" }}::jsonb->>'name'`)
      .where("id", "=", "ou_q2");
    await expect(t.db.tenantQuery("ten_q", renameByJson)).rejects.toThrow(/read-only transaction/);

    // Several queries over one snapshot, in one round trip, each one's rows in order.
    counter.count = 0;
    const [names, count] = await countedWhile(counter, () =>
      t.db.tenantQueries("ten_q", [
        t.db.kysely.selectFrom("org_units").select("name").orderBy("id"),
        t.db.kysely.selectFrom("org_units").select((eb) => eb.fn.countAll<number>().as("units")),
      ] as const),
    );
    expect(counter.count).toBe(1);
    expect(names.map((u) => u.name)).toEqual(["HQ", "Store"]);
    expect(count).toEqual([{ units: 2 }]);
    expect(
      await t.owner.selectFrom("org_units").select("id").where("id", "=", "ou_q2").execute(),
    ).toHaveLength(1);
  });

  it("tenantTx sends BEGIN and the tenant with its first statement, and nothing for a transaction that sends none", async () => {
    await t.owner.insertInto("tenants").values({ id: "ten_d", name: "D" }).execute();
    const unit = (id: string, tenant = "ten_d") => ({
      tenant_id: tenant,
      id,
      kind: "store" as const,
      name: id,
      path: `/${id}/`,
    });
    await t.db.tenantTx("ten_d", async () => {}); // warms a connection (its role)
    const counter = { count: 0 };
    await countedWhile(counter, () => t.db.tenantTx("ten_d", async () => "nothing to send"));
    expect(counter.count).toBe(0);

    // The first statement writes, under the tenant set in its own round trip; COMMIT is the second.
    const inserted = await countedWhile(counter, () =>
      t.db.tenantTx("ten_d", (trx) =>
        trx
          .insertInto("org_units")
          .values([unit("ou_d1"), unit("ou_d2")])
          .executeTakeFirst(),
      ),
    );
    expect(counter.count).toBe(2);
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
    const updated = await t.db.tenantTx("ten_d", (trx) =>
      trx
        .updateTable("org_units")
        .set({ name: "renamed" })
        .where("id", "in", ["ou_d1", "ou_d2", "ou_1"])
        .executeTakeFirst(),
    );
    expect(updated.numUpdatedRows).toBe(2n); // ou_1 is ten_a's: row-level security hid it

    // A first statement for another tenant is refused by row-level security, as before.
    await expect(
      t.db.tenantTx("ten_d", (trx) => trx.insertInto("org_units").values(unit("ou_d3", "ten_a")).execute()),
    ).rejects.toThrow(/row-level security/);
    // A first statement that fails (a duplicate key) keeps its code, and rolls back what the
    // transaction did before the error.
    const duplicate = t.db.tenantTx("ten_d", async (trx) => {
      await trx.insertInto("org_units").values(unit("ou_d1")).execute();
    });
    await expect(duplicate).rejects.toMatchObject({ code: "23505" });
    await expect(
      t.db.tenantTx("ten_d", async (trx) => {
        await trx.insertInto("org_units").values(unit("ou_d4")).execute();
        await trx.insertInto("org_units").values(unit("ou_d1")).execute();
      }),
    ).rejects.toMatchObject({ code: "23505" });
    // A first statement without values may hold several (node-postgres's simple query): BEGIN
    // goes before it in a round trip of its own.
    const several = await t.db.tenantTx("ten_d", async (trx) => {
      await sql.raw("set local statement_timeout = '5s'; set local lock_timeout = '1s'").execute(trx);
      return (
        await sql<{
          tenant: string;
          timeout: string;
        }>`select current_setting('vouchsafe.tenant_id') as tenant,
          current_setting('statement_timeout') as timeout`.execute(trx)
      ).rows[0];
    });
    expect(several).toEqual({ tenant: "ten_d", timeout: "5s" });
    // Every connection still works after those errors, in a transaction of its own.
    const afterwards = await Promise.all(
      Array.from({ length: 25 }, () =>
        t.db.tenantTx("ten_d", async (trx) => {
          const tenant = await sql<{
            tenant: string;
          }>`select current_setting('vouchsafe.tenant_id') as tenant`.execute(trx);
          return tenant.rows[0];
        }),
      ),
    );
    expect(afterwards.every((row) => row?.tenant === "ten_d")).toBe(true);
    const ids = await t.owner
      .selectFrom("org_units")
      .select("id")
      .where("tenant_id", "=", "ten_d")
      .orderBy("id")
      .execute();
    expect(ids.map((r) => r.id)).toEqual(["ou_d1", "ou_d2"]);
  });

  it("a connection prepares at most 500 statements and parses the texts past them each time", async () => {
    const client = await t.db.pool.connect();
    try {
      const distinct = (n: number) => ({ text: `select ${n}::int as n, $1::text as tag`, values: ["x"] });
      const statements = Array.from({ length: 520 }, (_, i) => distinct(i));
      const rows = await rowsOfStatements(client, statements);
      expect(rows.map((r) => r[0]!.n)).toEqual(statements.map((_, i) => i));
      const prepared = await client.query("select count(*)::int as n from pg_prepared_statements");
      expect(prepared.rows[0].n).toBe(500);
      // The ones past the bound still answer, again and again.
      const again = await rowsOfStatements(client, [distinct(510), distinct(510), distinct(3)]);
      expect(again.map((r) => r[0])).toEqual([
        { n: 510, tag: "x" },
        { n: 510, tag: "x" },
        { n: 3, tag: "x" },
      ]);
    } finally {
      client.release(true);
    }
  });

  it("a transaction left waiting past the idle limit is ended by the server, and its row locks go with it", async () => {
    await t.owner.insertInto("tenants").values({ id: "ten_idle", name: "Idle" }).execute();
    await t.owner
      .insertInto("org_units")
      .values({ tenant_id: "ten_idle", id: "ou_idle", kind: "organization", name: "HQ", path: "/ou_idle/" })
      .execute();
    expect(
      (
        await t.db.tenantTx("ten_idle", (trx) =>
          sql<{ v: string }>`show idle_in_transaction_session_timeout`.execute(trx),
        )
      ).rows,
    ).toEqual([{ idle_in_transaction_session_timeout: "1min" }]);
    const stalled = createDatabase(t.url, { poolSize: 1, idleTransactionTimeoutMs: 300 });
    try {
      // A process that locked a row and then stopped sending (frozen, or cut off).
      const stopped = signal();
      const locked = signal();
      const holder = stalled
        .tenantTx("ten_idle", async (trx) => {
          await trx.selectFrom("org_units").select("id").where("id", "=", "ou_idle").forUpdate().execute();
          locked.fire();
          await stopped.fired;
          return trx.selectFrom("org_units").select("id").execute();
        })
        .then(
          () => "went on",
          (error: Error) => error.message,
        );
      await locked.fired;
      // Another writer gets the row once the server has ended the stalled transaction.
      const renamed = await t.db.tenantTx("ten_idle", (trx) =>
        trx.updateTable("org_units").set({ name: "Head office" }).where("id", "=", "ou_idle").execute(),
      );
      expect(renamed[0]!.numUpdatedRows).toBe(1n);
      stopped.fire();
      expect(await holder).toMatch(/idle-in-transaction timeout|terminat|Connection/i);
    } finally {
      await stalled.close();
    }
  });

  it("rowsOfStatements sends BEGIN, a write and COMMIT in one round trip, and commits nothing when one fails", async () => {
    const client = await t.db.pool.connect();
    try {
      await client.query("create temp table committed_values (v int not null)");
      const count = async () =>
        Number((await client.query("select count(*) as n from committed_values")).rows[0].n);
      const commit = { text: "commit", values: [] };
      const insert = (v: number) => ({
        text: "insert into committed_values values ($1::int) returning v",
        values: [v],
        prepare: true,
      });
      const counter = { count: 0 };
      // The second time, the statements prepared the first time are reused.
      for (const v of [1, 2]) {
        const rows = await countedWhile(counter, () =>
          rowsOfStatements(client, [...openingStatements("ten_a"), insert(v), commit]),
        );
        expect(rows[1]).toEqual([{ set_config: "ten_a" }]);
        expect(rows[2]).toEqual([{ v }]);
        // Committed: a rollback now has no transaction to undo.
        await client.query("rollback");
      }
      expect(counter.count).toBe(2);
      expect(await count()).toBe(2);

      await client.query("begin");
      await client.query("insert into committed_values values (3)");
      await expect(
        rowsOfStatements(client, [
          { text: "select 1 / ($1::int - 1) as n", values: [1], prepare: false },
          commit,
        ]),
      ).rejects.toThrow(/division by zero/);
      // The COMMIT was skipped: the transaction is still open, aborted, and rolls back whole.
      await expect(client.query("select 1")).rejects.toThrow(/current transaction is aborted/);
      await client.query("rollback");
      expect(await count()).toBe(2);
    } finally {
      client.release(true);
    }
  });

  it("tenantRead gives each statement's rows typed as any other query of the app reads them", async () => {
    const text = `select $1::bigint as amount, $2::timestamptz as at, null::text as nothing,
      '12.50'::numeric as sum, true as flag, array['a', 'b']::text[] as codes,
      1 as same, 2 as same`;
    const values = [9_007_199_254_740_991, new Date("2026-11-27T04:00:00.123Z")] as const;
    const [rows, none, last] = await t.db.tenantRead("ten_a", [
      { text, values },
      { text: "select id from org_units where false", values: [] },
      { text: "select 'x' as only", values: [] },
    ]);
    const viaKysely = await t.db.tenantTx(
      "ten_a",
      async (trx) =>
        (
          await sql
            .raw(text.replace("$1", String(values[0])).replace("$2", `'${values[1].toISOString()}'`))
            .execute(trx)
        ).rows,
    );
    expect(rows).toEqual(viaKysely);
    expect(rows).toEqual([
      {
        amount: 9_007_199_254_740_991,
        at: new Date("2026-11-27T04:00:00.123Z"),
        nothing: null,
        sum: "12.50",
        flag: true,
        codes: ["a", "b"],
        same: 2,
      },
    ]);
    expect(none).toEqual([]);
    expect(last).toEqual([{ only: "x" }]);
  });
  it("tenantRead prepares each statement with its own text, not the whole first read's", async () => {
    // PostgreSQL copies a prepared statement's saved text on every execution: it must be
    // the statement alone, whatever else the read that prepared it held.
    const first = { text: "select id from org_units where id = $1::text", values: ["ou_1"] };
    const second = { text: "select name from tenants where id = $1::text", values: ["ten_a"] };
    const saved = { text: "select name, statement from pg_prepared_statements order by name", values: [] };
    const [, , kept] = await t.db.tenantRead("ten_a", [first, second, saved]);
    const ours = [first, second, saved].map((st) => ({ name: statementName(st.text), statement: st.text }));
    for (const statement of ours) expect(kept).toContainEqual(statement);
  });
  it("tenantRead describes a statement's rows once per connection, and reads them alike without a Describe", async () => {
    const db = createDatabase(t.url, { poolSize: 1 });
    let describes = 0;
    db.pool.on("connect", (client) => {
      const connection = (client as unknown as { connection: { describe(message: unknown): void } })
        .connection;
      const describe = connection.describe.bind(connection);
      connection.describe = (message) => {
        describes++;
        describe(message);
      };
    });
    try {
      const typed = {
        text: "select $1::bigint as amount, $2::timestamptz as at, array['a', null]::text[] as codes, null::int as none",
        values: [9_007_199_254_740_991, new Date("2026-11-27T04:00:00.123Z")],
      };
      const units = { text: "select id, path from org_units order by id", values: [] };
      const first = await db.tenantRead("ten_a", [typed, units]);
      // BEGIN, the tenant, the two statements and COMMIT, each described once.
      expect(describes).toBe(5);
      expect(first[0]).toEqual([
        {
          amount: 9_007_199_254_740_991,
          at: new Date("2026-11-27T04:00:00.123Z"),
          codes: ["a", null],
          none: null,
        },
      ]);
      expect(first[1]!.length).toBeGreaterThan(0);

      const again = await db.tenantRead("ten_a", [typed, units]);
      expect(describes).toBe(5);
      expect(again).toEqual(first);

      // A new statement between known ones: only it is described, and every statement's rows
      // keep their own columns.
      const fresh = { text: "select name, 7 as seven from tenants where id = $1::text", values: ["ten_a"] };
      const mixed = await db.tenantRead("ten_a", [units, fresh, typed]);
      expect(describes).toBe(6);
      expect(mixed).toEqual([first[1], [{ name: expect.any(String), seven: 7 }], first[0]]);
      expect(await db.tenantRead("ten_a", [fresh, fresh])).toEqual([mixed[1], mixed[1]]);
      expect(describes).toBe(6);
    } finally {
      await db.close();
    }
  });
  it("tenantRead reads columns of any name, and each row's instant even where rows share one", async () => {
    const text = `select g as n, timestamptz '2026-03-01 08:00:00+08' + (g % 2) * interval '1 hour' as at,
      'q' as "quo""te", 'b' as "back\\slash", 'p' as "__proto__", 'l' as "line
break", 's' as "\u2028"
      from generate_series(1, 4) g order by g`;
    const [rows] = await t.db.tenantRead("ten_a", [{ text, values: [] }]);
    const viaKysely = await t.db.tenantTx("ten_a", async (trx) => (await sql.raw(text).execute(trx)).rows);
    expect(rows).toEqual(viaKysely);
    expect(rows!.map((r) => (r.at as Date).toISOString())).toEqual([
      "2026-03-01T01:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
      "2026-03-01T01:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
    ]);
    expect(rows![0]).toMatchObject({
      n: 1,
      'quo"te': "q",
      "back\\slash": "b",
      "line\nbreak": "l",
      "\u2028": "s",
    });
  });

  it("tenantRead passes parameters as they are, whatever characters they hold", async () => {
    const awkward = ['a"b', "c\\d", "e,f", "{g}", "NULL", "", "it's", "$1", "ünï"];
    const [rows] = await t.db.tenantRead("ten_a", [
      {
        text: "select $1::text[] as list, $2::text as one, $3::boolean as flag, $4::int as none",
        values: [awkward, "'; drop table tenants; --", false, null],
      },
    ]);
    expect(rows).toEqual([{ list: awkward, one: "'; drop table tenants; --", flag: false, none: null }]);
  });
});
