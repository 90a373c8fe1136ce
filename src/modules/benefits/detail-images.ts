import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { assertImage } from "../../platform/files/images.js";
import type { MemberImageLookup } from "../../platform/files/member-images.js";
import type { BenefitKind } from "./benefit-types.js";

/** An entry that links an image hosted elsewhere (what detail images were before uploads). */
export const isImageUrl = (entry: string): boolean => entry.startsWith("https://");

/**
 * An exclusive service's detail images are https links or images uploaded with
 * `POST /v1/images?purpose=detail`; any other entry is refused, so a member never gets a
 * name that reads nothing.
 */
export async function assertDetailImages(
  trx: Tx,
  tenantId: string,
  kind: BenefitKind,
  config: unknown,
): Promise<void> {
  if (kind !== "exclusive_services") return;
  const entries = (config as { detail_images?: string[] }).detail_images ?? [];
  for (const [i, entry] of entries.entries()) {
    if (!isImageUrl(entry))
      await assertImage(trx, tenantId, entry, "detail", `/body/config/detail_images/${i}`);
  }
}

/** Whether an active exclusive service shows the image among its detail images. */
export const detailImageShown: MemberImageLookup = async (trx, tenantId, imageId) => {
  const row = await trx
    .selectFrom("benefits")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "exclusive_services")
    .where("status", "=", "active")
    .where(sql<boolean>`config -> 'detail_images' @> jsonb_build_array(${imageId}::text)`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
};
