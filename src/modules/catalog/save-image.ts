import { createHash } from "node:crypto";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { checkImage, type ImageMediaType } from "../../platform/files/image-check.js";
import { MAX_IMAGE_BYTES_BY_PURPOSE } from "../../platform/files/images.js";
import { newId } from "../../shared/ids.js";
import type { ImagePurpose } from "./catalog.repository.js";

/**
 * Keeps an uploaded image for a purpose (a package cover, a gift card design, detail images):
 * its content must match its declared type (the benefit icons' check), within the purpose's
 * size limit.
 */
export async function saveImage(
  uow: UnitOfWork,
  context: RequestContext,
  input: { purpose: ImagePurpose; declaredType: string; bytes: Buffer },
  now: Date,
): Promise<{
  id: string;
  purpose: ImagePurpose;
  media_type: ImageMediaType;
  size: number;
  sha256: string;
  created_at: Date;
}> {
  const media = checkImage(input.declaredType, input.bytes, {
    maxBytes: MAX_IMAGE_BYTES_BY_PURPOSE[input.purpose],
    invalidCode: "invalid_image",
    what: "image",
  });
  const id = newId("img");
  const sha256 = createHash("sha256").update(input.bytes).digest("hex");
  await uow.trx
    .insertInto("images")
    .values({
      tenant_id: context.actor.tenantId,
      id,
      purpose: input.purpose,
      media_type: media,
      bytes: input.bytes,
      sha256,
      created_by: context.actor.id,
      created_at: now,
    })
    .execute();
  await recordAudit(
    uow.trx,
    context,
    {
      action: "image.uploaded",
      targetType: "image",
      targetId: id,
      summary: { purpose: input.purpose, media_type: media, size: input.bytes.length, sha256 },
    },
    now,
  );
  return { id, purpose: input.purpose, media_type: media, size: input.bytes.length, sha256, created_at: now };
}
