import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  citusDdl,
  LOCAL_SCHEMAS,
  LOCAL_TABLES,
  REFERENCE_TABLES,
  TENANT_ANCHOR,
  TENANT_TABLES,
} from "../src/db/scale-out.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const tenantTables = new Set<string>(TENANT_TABLES);
const distributed = new Set<string>([...TENANT_TABLES, TENANT_ANCHOR.table]);

/** Key columns of a table's primary key, unique indexes and foreign keys, from the live catalog. */
async function keys() {
  const result = await sql<{
    table_name: string;
    kind: "primary" | "unique" | "foreign";
    name: string;
    columns: string[];
    referenced_table: string | null;
    referenced_columns: string[] | null;
  }>`
    select c.relname as table_name,
           case when i.indisprimary then 'primary' else 'unique' end as kind,
           ic.relname as name,
           array(select a.attname from unnest(i.indkey) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum order by k.n)::text[] as columns,
           null as referenced_table, null::text[] as referenced_columns
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_class ic on ic.oid = i.indexrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and (i.indisprimary or i.indisunique)
    union all
    select c.relname, 'foreign', con.conname,
           array(select a.attname from unnest(con.conkey) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum order by k.n)::text[],
           rc.relname,
           array(select a.attname from unnest(con.confkey) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = rc.oid and a.attnum = k.attnum order by k.n)::text[]
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid
    join pg_class rc on rc.oid = con.confrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and con.contype = 'f'`.execute(t.owner);
  return result.rows;
}

describe("the schema is ready to be distributed by tenant (docs/scale-out.md)", () => {
  it("places every table: distributed by tenant, reference or local, and names no table that does not exist", async () => {
    const tables = await sql<{ relname: string }>`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`.execute(t.owner);
    const live = tables.rows.map((r) => r.relname);
    const listed: string[] = [...TENANT_TABLES, TENANT_ANCHOR.table, ...REFERENCE_TABLES, ...LOCAL_TABLES];
    expect(new Set(listed).size, "a table is listed twice").toBe(listed.length);
    expect(
      live.filter((table) => !listed.includes(table)),
      "tables missing from src/db/scale-out.ts",
    ).toEqual([]);
    expect(
      listed.filter((table) => !live.includes(table)),
      "listed tables that do not exist",
    ).toEqual([]);
    const schemas = await sql<{ nspname: string }>`
      select nspname from pg_namespace
      where nspname not in ('public', 'information_schema') and nspname not like 'pg\\_%'`.execute(t.owner);
    expect(schemas.rows.map((r) => r.nspname).sort()).toEqual([...LOCAL_SCHEMAS].sort());
  });

  it("leads every tenant table's primary key, unique constraints and foreign keys with tenant_id", async () => {
    const offending: string[] = [];
    for (const key of await keys()) {
      if (!tenantTables.has(key.table_name)) continue;
      if (key.columns[0] !== "tenant_id")
        offending.push(`${key.table_name}.${key.name} (${key.kind}) on ${key.columns}`);
      if (key.kind === "foreign") {
        const target = key.referenced_table ?? "";
        const targetKey = target === TENANT_ANCHOR.table ? TENANT_ANCHOR.column : "tenant_id";
        // A join along this key stays inside one tenant, hence on one node.
        if (!distributed.has(target) || key.referenced_columns?.[0] !== targetKey)
          offending.push(`${key.table_name}.${key.name} references ${target}(${key.referenced_columns})`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("has every tenant table keyed by a non-null tenant_id and every primary key in place", async () => {
    const rows = await sql<{ relname: string; nullable: boolean | null; has_pk: boolean }>`
      select c.relname,
             (select not a.attnotnull from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id') as nullable,
             exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary) as has_pk
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'`.execute(t.owner);
    const wrong = rows.rows
      .filter((r) => tenantTables.has(r.relname))
      .filter((r) => r.nullable !== false || !r.has_pk)
      .map((r) => r.relname);
    expect(wrong).toEqual([]);
  });

  it("joins tenant tables in views only on the tenant key", async () => {
    const views = await sql<{ viewname: string; definition: string }>`
      select viewname, definition from pg_views where schemaname = 'public'`.execute(t.owner);
    for (const view of views.rows) {
      const used = [...tenantTables].filter((table) => new RegExp(`\\b${table}\\b`).test(view.definition));
      if (used.length > 1) expect(view.definition, view.viewname).toMatch(/tenant_id\s*=/);
    }
  });

  it("publishes the Citus DDL generated from the same lists", () => {
    const ddl = citusDdl();
    for (const table of TENANT_TABLES)
      expect(ddl).toContain(`create_distributed_table('${table}', 'tenant_id', colocate_with => 'tenants')`);
    expect(ddl).toContain("create_distributed_table('tenants', 'id')");
    const doc = readFileSync(path.resolve(import.meta.dirname, "../docs/scale-out.md"), "utf8");
    expect(doc, "docs/scale-out.md is stale: run npm run citus-ddl and paste it").toContain(ddl.trim());
  });
});
