import { type RawBuilder, sql } from "kysely";

/**
 * The condition that keeps a cross-tenant sweep (run at real time) away from sandbox
 * tenants: their time is their test clock, and their due work runs when it is advanced.
 * `column` names the swept row's tenant id, e.g. `p.tenant_id`.
 */
export function liveTenantOnly(column: string): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from tenants sandbox_t where sandbox_t.id = ${sql.ref(column)} and sandbox_t.sandbox)`;
}
