import type { Actor } from "../../platform/auth/actor.js";
import { CatalogError } from "./catalog.errors.js";

/** The catalog is the tenant's: staff bound to an org unit read it but do not change it. */
export function assertTenantWide(actor: Actor): void {
  if (actor.orgUnitId) {
    throw new CatalogError("catalog_scoped_actor", "Only tenant-wide staff change the catalog");
  }
}
