import { createHash } from "node:crypto";
import type { Tx } from "../../db/database.js";
import type { Timestamp } from "../../db/schema.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { BenefitsError } from "./benefits.errors.js";

export const ICON_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp", "image/svg+xml"] as const;
export type IconMediaType = (typeof ICON_MEDIA_TYPES)[number];
export const MAX_ICON_BYTES = 1024 * 1024;

export interface BenefitIconsTable {
  tenant_id: string;
  id: string;
  media_type: IconMediaType;
  bytes: Buffer;
  sha256: string;
  created_by: string;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    benefit_icons: BenefitIconsTable;
  }
}

/** What the bytes are, by their first bytes; SVG by its text. */
function sniff(bytes: Buffer): IconMediaType | null {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (
    bytes.subarray(0, 4).toString("latin1") === "RIFF" &&
    bytes.subarray(8, 12).toString("latin1") === "WEBP"
  ) {
    return "image/webp";
  }
  return null;
}

/**
 * Active content an SVG must not carry: scripts, event handlers, script URLs, embedded
 * documents, entity declarations (billion laughs) and links outside the file. An icon that
 * has any is refused rather than rewritten, so what is stored is exactly what was checked.
 */
const SVG_ACTIVE =
  /<\s*(script|foreignObject|iframe|embed|object|audio|video|image|use)\b|\son[a-z]+\s*=|javascript:|data:text\/html|<!ENTITY|<!DOCTYPE|\b(xlink:)?href\s*=\s*["']\s*(?!#)/i;

export function checkIcon(declared: string, bytes: Buffer): IconMediaType {
  const media = declared.split(";")[0]!.trim().toLowerCase();
  if (!(ICON_MEDIA_TYPES as readonly string[]).includes(media)) {
    throw new BenefitsError("unsupported_media_type", "An icon is PNG, JPEG, WebP or SVG");
  }
  if (bytes.length === 0 || bytes.length > MAX_ICON_BYTES) {
    throw new BenefitsError("invalid_icon", "An icon is 1 byte to 1 MiB");
  }
  if (media === "image/svg+xml") {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new BenefitsError("invalid_icon", "An SVG icon is UTF-8 text");
    }
    if (!/<svg[\s>]/i.test(text)) throw new BenefitsError("invalid_icon", "The file is not an SVG image");
    if (SVG_ACTIVE.test(text)) {
      throw new BenefitsError(
        "invalid_icon",
        "The SVG carries active content (scripts, event handlers, external links, embedded documents or entities)",
      );
    }
    return media;
  }
  if (sniff(bytes) !== media) throw new BenefitsError("invalid_icon", `The file is not a ${media} image`);
  return media as IconMediaType;
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
    .insertInto("benefit_icons")
    .values({
      tenant_id: context.actor.tenantId,
      id,
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
    .selectFrom("benefit_icons")
    .select(["media_type", "bytes", "sha256"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
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
  const row = await trx
    .selectFrom("benefit_icons")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", icon)
    .executeTakeFirst();
  if (!row) {
    throw new BenefitsError("invalid_icon", `No icon ${icon}: upload it with POST /v1/benefit-icons first`, {
      errors: [{ field: "/body/icon", message: "is not an uploaded icon" }],
    });
  }
}
