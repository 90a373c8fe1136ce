import type { Tx } from "../../db/database.js";
import { CatalogError } from "./catalog.errors.js";
import type { ImagePurpose } from "./catalog.repository.js";

/** Covers and designs may be up to 2 MiB; icons 1 MiB (the benefit icons' limit). */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
export const MAX_IMAGE_BYTES_BY_PURPOSE: Record<ImagePurpose, number> = {
  benefit_icon: 1024 * 1024,
  package_cover: MAX_IMAGE_BYTES,
  topup_cover: MAX_IMAGE_BYTES,
  card_design: MAX_IMAGE_BYTES,
  detail: MAX_IMAGE_BYTES,
  verification_page: MAX_IMAGE_BYTES,
  student_id: MAX_IMAGE_BYTES,
};

export async function findImage(trx: Tx, tenantId: string, id: string) {
  const row = await trx
    .selectFrom("images")
    .select(["id", "purpose", "media_type", "bytes", "sha256", "created_at"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new CatalogError("image_not_found", "Image not found");
  return row;
}

/** A plan's image field names an uploaded image of the tenant with the right purpose. */
export async function assertImage(
  trx: Tx,
  tenantId: string,
  id: string | null | undefined,
  purpose: ImagePurpose,
  field: string,
): Promise<void> {
  if (!id) return;
  const row = await trx
    .selectFrom("images")
    .select("purpose")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (row?.purpose !== purpose) {
    throw new CatalogError(
      "invalid_image",
      `${id} is not an uploaded ${purpose} image: POST /v1/images?purpose=${purpose}`,
      {
        errors: [{ field, message: `must name an image uploaded with purpose ${purpose}` }],
      },
    );
  }
}
