import type { TestApp } from "./app.js";
import { waitFor } from "./wait.js";

type TenantTrx = Parameters<Parameters<TestApp["deps"]["db"]["tenantTx"]>[1]>[0];

/** Whether some session of this test's database is waiting for a lock. */
export async function someoneWaitsForALock(t: TestApp): Promise<boolean> {
  const row = await t.database.owner
    .selectFrom("pg_stat_activity" as never)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("datname" as never, "=", t.database.name as never)
    .where("wait_event_type" as never, "=", "Lock" as never)
    .executeTakeFirstOrThrow();
  return Number(row.n) > 0;
}

/**
 * Two creations at a count limit's last free place, in the order that breaks an unguarded
 * count: `create(trx, "first")` runs in a transaction held open, then `create(trx, "second")`
 * beside it; the first commits once the second has finished or come to wait for it. Answers
 * how the second ended. No timing is assumed: the wait is seen in `pg_stat_activity`.
 */
export async function raceForLastPlace(
  t: TestApp,
  tenantId: string,
  create: (trx: TenantTrx, name: string) => Promise<unknown>,
): Promise<PromiseSettledResult<unknown>> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let created!: () => void;
  const firstCreated = new Promise<void>((resolve) => {
    created = resolve;
  });
  const first = t.deps.db.tenantTx(tenantId, async (trx) => {
    await create(trx, "first");
    created();
    await gate;
  });
  await firstCreated;
  let secondDone = false;
  const second = t.deps.db
    .tenantTx(tenantId, (trx) => create(trx, "second"))
    .finally(() => {
      secondDone = true;
    });
  second.catch(() => undefined);
  await waitFor(
    async () => secondDone || (await someoneWaitsForALock(t)),
    "the second creation to finish or wait",
  );
  release();
  await first;
  return Promise.allSettled([second]).then(([r]) => r!);
}
