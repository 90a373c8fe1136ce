import type { ReadStatement, Tx } from "../../db/database.js";
import { VersionedTenantCache } from "../../shared/versioned-cache.js";
import { MAX_ACTIVE_BENEFITS } from "./benefit-rules.js";
import type { AnyBenefit } from "./benefit-types.js";
import { activeBenefits, type BenefitRow, catalogVersion, toBenefit } from "./benefits.repository.js";

/** `BenefitCatalogCache.read`'s answer when the catalog held is not the snapshot's version. */
export const CATALOG_CHANGED = Symbol("benefit catalog changed");

/** At most this many tenants' catalogs stay in memory; the least recently used goes first. */
export const CATALOG_CACHE_TENANTS = 1000;

/**
 * The active catalog per tenant, in memory. Every read compares the tenant's catalog
 * version (one indexed row, bumped in each change's transaction), so a change made through
 * any server process is seen by the next quote everywhere, with no stale window.
 */
export class BenefitCatalogCache {
  private readonly catalogs = new VersionedTenantCache<readonly AnyBenefit[]>(CATALOG_CACHE_TENANTS);
  loads = 0;

  async active(trx: Tx, tenantId: string): Promise<readonly AnyBenefit[]> {
    const version = await catalogVersion(trx, tenantId);
    return (
      this.catalogs.at(tenantId, version) ??
      this.store(tenantId, version, await activeBenefits(trx, tenantId))
    );
  }

  /**
   * `active` as statements of a read-only snapshot (`Database.tenantRead`), so checking the
   * version costs no round trip of its own: the catalog version, and the active benefits only
   * when this process holds none for the tenant (`withCatalog` forces them). `resolve` takes
   * their rows; it answers CATALOG_CHANGED when the held catalog is not the snapshot's version
   * (read again `withCatalog`), and drops it.
   */
  read(
    tenantId: string,
    options: { withCatalog?: boolean } = {},
  ): {
    statements: ReadStatement[];
    resolve(rows: readonly Record<string, unknown>[][]): readonly AnyBenefit[] | typeof CATALOG_CHANGED;
  } {
    const held = !options.withCatalog && this.catalogs.holds(tenantId);
    const statements: ReadStatement[] = [
      {
        text: "select coalesce((select version from benefit_catalog_versions where tenant_id = $1::text), 0) as version",
        values: [tenantId],
      },
    ];
    if (!held) {
      statements.push({
        text: "select * from benefits where tenant_id = $1::text and status = 'active' order by id",
        values: [tenantId],
      });
    }
    return {
      statements,
      resolve: (rows) => {
        const current = Number((rows[0]![0] as { version: number | string }).version);
        if (!held) return this.store(tenantId, current, rows[1] as unknown as BenefitRow[]);
        const benefits = this.catalogs.at(tenantId, current);
        if (benefits) return benefits;
        this.catalogs.dropOlderThan(tenantId, current);
        return CATALOG_CHANGED;
      },
    };
  }

  private store(tenantId: string, version: number, rows: readonly BenefitRow[]): readonly AnyBenefit[] {
    const benefits = Object.freeze(rows.slice(0, MAX_ACTIVE_BENEFITS).map(toBenefit));
    this.loads += 1;
    this.catalogs.put(tenantId, version, benefits);
    return benefits;
  }
}

/** One cache per process (a module-level singleton: the catalog is a read model, not a service). */
export const benefitCatalog = new BenefitCatalogCache();
