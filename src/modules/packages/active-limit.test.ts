import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../../../test/helpers/app.js";
import { type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { MAX_ACTIVE_PACKAGES } from "./package-config.js";

/** At most MAX_ACTIVE_PACKAGES are active at once, also when activations race. */
let w: PackageWorld;

beforeAll(async () => {
  w = await packageWorld();
});
afterAll(async () => w?.t.close());

const activePackages = async () =>
  Number(
    (
      await w.t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
        sql<{ n: string }>`select count(*) as n from packages where status = 'active'`.execute(trx),
      )
    ).rows[0]?.n,
  );

describe("the limit on active packages", () => {
  it("lets concurrent activations fill the last free places and no more", async () => {
    const racing = 8;
    const free = 3;
    const waiting: string[] = [];
    for (let i = 0; i < racing; i++) {
      const id = await w.createPackage({ name: `Racer ${i}` });
      await w.ok(w.call("POST", `/v1/packages/${id}/deactivate`));
      waiting.push(id);
    }
    // Fill the tenant up to `free` places short of the limit with copies of one package.
    const template = await w.createPackage({ name: "Template" });
    const copies = MAX_ACTIVE_PACKAGES - free - (await activePackages());
    await w.t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      sql`insert into packages
          select (jsonb_populate_record(null::packages,
                   to_jsonb(p) || jsonb_build_object('id', p.id || '_' || g, 'name', p.name || ' ' || g))).*
          from packages p, generate_series(1, ${copies}::int) g
          where p.id = ${template}`.execute(trx),
    );
    expect(await activePackages()).toBe(MAX_ACTIVE_PACKAGES - free);

    const answers = await Promise.all(waiting.map((id) => w.call("POST", `/v1/packages/${id}/activate`)));
    const activated = answers.filter((r) => r.statusCode === 200);
    const refused = answers.filter((r) => r.statusCode !== 200);
    expect(activated.length).toBe(free);
    for (const r of refused) expect(json<{ code: string }>(r).code, r.body).toBe("too_many_active_packages");
    expect(await activePackages()).toBe(MAX_ACTIVE_PACKAGES);
  });
});
