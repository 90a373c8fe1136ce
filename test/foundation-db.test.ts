import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";

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
});
