import type { Tx } from "../../db/database.js";
import { CatalogError } from "./catalog.errors.js";

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
