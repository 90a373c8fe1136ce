import type { Actor } from "../../platform/auth/actor.js";
import { TopupError } from "./topup.errors.js";

/** Plans are the tenant's: staff bound to an org unit use them but do not change them. */
export function assertTenantWide(actor: Actor): void {
  if (actor.orgUnitId)
    throw new TopupError("catalog_scoped_actor", "Only tenant-wide staff change top-up plans");
}
