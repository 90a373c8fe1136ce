import type { Tx } from "../../db/database.js";

/**
 * A module's answer to "does a member of this tenant see something that shows this image?"
 * (an active package's cover, a shown top-up plan's cover, an on-sale gift card's design).
 * The images belong to the catalog; what shows them belongs to each module, so each module
 * answers for its own records and the catalog's download route asks them all.
 */
export type MemberImageLookup = (trx: Tx, tenantId: string, imageId: string) => Promise<boolean>;

const lookups = new Set<MemberImageLookup>();

/** Installed from module manifests. */
export function addMemberImageLookup(lookup: MemberImageLookup): void {
  lookups.add(lookup);
}

/** Whether any module shows the image to the tenant's members; an image nothing shows stays staff-only. */
export async function imageShownToMembers(trx: Tx, tenantId: string, imageId: string): Promise<boolean> {
  for (const lookup of lookups) if (await lookup(trx, tenantId, imageId)) return true;
  return false;
}
