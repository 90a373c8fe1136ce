import type { Tx } from "../../db/database.js";
import { MAX_ACTIVE_BENEFITS } from "./benefit-rules.js";
import type { AnyBenefit } from "./benefit-types.js";
import { activeBenefits, catalogVersion, toBenefit } from "./benefits.repository.js";

/** At most this many tenants' catalogs stay in memory; the least recently used goes first. */
export const CATALOG_CACHE_TENANTS = 1000;

interface Entry {
  version: number;
  benefits: readonly AnyBenefit[];
}

/**
 * The active catalog per tenant, in memory. Every read compares the tenant's catalog
 * version (one indexed row, bumped in each change's transaction), so a change made through
 * any server process is seen by the next quote everywhere, with no stale window.
 */
export class BenefitCatalogCache {
  private readonly entries = new Map<string, Entry>();
  loads = 0;

  async active(trx: Tx, tenantId: string): Promise<readonly AnyBenefit[]> {
    const version = await catalogVersion(trx, tenantId);
    const hit = this.entries.get(tenantId);
    if (hit && hit.version === version) {
      this.entries.delete(tenantId);
      this.entries.set(tenantId, hit);
      return hit.benefits;
    }
    const rows = await activeBenefits(trx, tenantId);
    const benefits = Object.freeze(rows.slice(0, MAX_ACTIVE_BENEFITS).map(toBenefit));
    this.loads += 1;
    this.entries.delete(tenantId);
    this.entries.set(tenantId, { version, benefits });
    if (this.entries.size > CATALOG_CACHE_TENANTS) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return benefits;
  }
}

/** One cache per process (a module-level singleton: the catalog is a read model, not a service). */
export const benefitCatalog = new BenefitCatalogCache();
