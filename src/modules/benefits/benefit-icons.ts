import { createHash } from "node:crypto";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { checkImage, IMAGE_MEDIA_TYPES, type ImageMediaType } from "../../platform/files/image-check.js";
import { type ImagePurpose, isImageOf, MAX_IMAGE_BYTES_BY_PURPOSE } from "../../platform/files/images.js";
import { newId } from "../../shared/ids.js";
import { BenefitsError } from "./benefits.errors.js";

export const ICON_MEDIA_TYPES = IMAGE_MEDIA_TYPES;
export type IconMediaType = ImageMediaType;
export const MAX_ICON_BYTES = MAX_IMAGE_BYTES_BY_PURPOSE.benefit_icon;

/**
 * Icons are kept in the tenant's `images` with this purpose (migration 1790), beside covers and
 * designs: this module is their purpose-specific door, with its own 1 MiB limit and error codes.
 */
const ICON_PURPOSE = "benefit_icon" satisfies ImagePurpose;

/** An icon's content matches its declared type (see platform/files/image-check.ts). */
export function checkIcon(declared: string, bytes: Buffer): IconMediaType {
  return checkImage(declared, bytes, { maxBytes: MAX_ICON_BYTES, invalidCode: "invalid_icon", what: "icon" });
}

export async function saveIcon(
  trx: Tx,
  context: RequestContext,
  mediaType: IconMediaType,
  bytes: Buffer,
  now: Date,
): Promise<{ id: string; media_type: IconMediaType; size: number; sha256: string; created_at: Date }> {
  const id = newId("ico");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  await trx
    .insertInto("images")
    .values({
      tenant_id: context.actor.tenantId,
      id,
      purpose: ICON_PURPOSE,
      media_type: mediaType,
      bytes,
      sha256,
      created_by: context.actor.id,
      created_at: now,
    })
    .execute();
  await recordAudit(
    trx,
    context,
    {
      action: "benefit_icon.uploaded",
      targetType: "benefit_icon",
      targetId: id,
      summary: { media_type: mediaType, size: bytes.length, sha256 },
    },
    now,
  );
  return { id, media_type: mediaType, size: bytes.length, sha256, created_at: now };
}

export async function findIcon(trx: Tx, tenantId: string, id: string) {
  const row = await trx
    .selectFrom("images")
    .select(["media_type", "bytes", "sha256"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .where("purpose", "=", ICON_PURPOSE)
    .executeTakeFirst();
  if (!row) throw new BenefitsError("benefit_icon_not_found", "Icon not found");
  return row;
}

/** A benefit's `icon` names an uploaded icon of the tenant. */
export async function assertIconExists(
  trx: Tx,
  tenantId: string,
  icon: string | null | undefined,
): Promise<void> {
  if (!icon) return;
  if (!(await isImageOf(trx, tenantId, icon, ICON_PURPOSE))) {
    throw new BenefitsError("invalid_icon", `No icon ${icon}: upload it with POST /v1/benefit-icons first`, {
      errors: [{ field: "/body/icon", message: "is not an uploaded icon" }],
    });
  }
}

/** Whether an active benefit of the tenant shows the icon (what a member may read). */
export async function iconShown(trx: Tx, tenantId: string, id: string): Promise<boolean> {
  const row = await trx
    .selectFrom("benefits")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("icon", "=", id)
    .where("status", "=", "active")
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
