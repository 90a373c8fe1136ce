import type { Tx } from "../../db/database.js";
import type { Timestamp } from "../../db/schema.js";
import { defineErrors } from "../../shared/errors.js";
import type { ImageMediaType } from "./image-check.js";

/**
 * The tenant's uploaded images (migration 0800). The catalog uploads and serves them; other
 * modules only name them (a plan's cover, a benefit's detail images), so the check that a
 * name is such an image lives here, where every module may import it without a cycle.
 */
export const IMAGE_PURPOSES = [
  "benefit_icon",
  "package_cover",
  "topup_cover",
  "card_design",
  "detail",
  "verification_page",
  "student_id",
] as const;
export type ImagePurpose = (typeof IMAGE_PURPOSES)[number];

export interface ImagesTable {
  tenant_id: string;
  id: string;
  purpose: ImagePurpose;
  media_type: ImageMediaType;
  bytes: Buffer;
  sha256: string;
  created_by: string;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    images: ImagesTable;
  }
}

/** Covers, designs and the rest may be up to 2 MiB; benefit icons 1 MiB. */
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

/** Each module that names images declares this code in its own error set (same status everywhere). */
export const IMAGE_ERRORS = defineErrors({ invalid_image: 400 });

/** An image field names an uploaded image of the tenant with the right purpose. */
export async function assertImage(
  trx: Tx,
  tenantId: string,
  id: string | null | undefined,
  purpose: ImagePurpose,
  field: string,
): Promise<void> {
  if (!id) return;
  if (!(await isImageOf(trx, tenantId, id, purpose))) {
    throw new IMAGE_ERRORS.Error(
      "invalid_image",
      `${id} is not an uploaded ${purpose} image: POST /v1/images?purpose=${purpose}`,
      {
        errors: [{ field, message: `must name an image uploaded with purpose ${purpose}` }],
      },
    );
  }
}

/** Whether `id` is an uploaded image of the tenant with this purpose. */
export async function isImageOf(
  trx: Tx,
  tenantId: string,
  id: string,
  purpose: ImagePurpose,
): Promise<boolean> {
  const row = await trx
    .selectFrom("images")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .where("purpose", "=", purpose)
    .executeTakeFirst();
  return row !== undefined;
}
