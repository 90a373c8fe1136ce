import { expect } from "vitest";
import { verifyLedger } from "../../src/ledger/index.js";
import type { TestApp } from "./app.js";

/**
 * What a value-moving operation leaves behind for one tenant, read as the database owner:
 * the audit actions on a target, how many audit records it has in all (what an operation
 * that must write nothing leaves unchanged), the events of a type, and a ledger that verifies
 * clean.
 */
export function tenantTrail(t: TestApp, tenantId: string) {
  const audit = (targetId: string) =>
    t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("tenant_id", "=", tenantId)
      .where("target_id", "=", targetId)
      .execute()
      .then((rows) => rows.map((r) => r.action).sort());
  const auditCount = () =>
    t.database.owner
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("tenant_id", "=", tenantId)
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.n));
  const events = (type: string) =>
    t.database.owner
      .selectFrom("events")
      .select("data")
      .where("tenant_id", "=", tenantId)
      .where("type", "=", type)
      .execute()
      .then((rows) => rows.map((r) => r.data as Record<string, unknown>));
  const ledgerClean = async () => {
    const report = await verifyLedger(t.deps.db, tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  };
  return { audit, auditCount, events, ledgerClean };
}
