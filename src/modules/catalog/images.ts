import type { Tx } from "../../db/database.js";
import type { ImagePurpose } from "../../platform/files/images.js";
import { CatalogError } from "./catalog.errors.js";

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

/** Kept here too so the catalog's callers name it where they always did. */
export { assertImage } from "../../platform/files/images.js";
