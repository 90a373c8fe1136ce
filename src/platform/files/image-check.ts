import { DomainError } from "../../shared/errors.js";

/**
 * What an uploaded image may be, checked by content rather than trusted from its
 * Content-Type: benefit icons and the catalog's images (covers, designs, detail images)
 * share this check.
 */
export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp", "image/svg+xml"] as const;
export type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

/** What the bytes are, by their first bytes; SVG by its text. */
function sniff(bytes: Buffer): ImageMediaType | null {
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
 * documents, entity declarations (billion laughs), links outside the file, and animations that
 * set a link (`<set>`, `<animate attributeName="href">`), which could turn one into a script URL. An image that
 * has any is refused rather than rewritten, so what is stored is exactly what was checked.
 */
const SVG_ACTIVE =
  /<\s*(script|foreignObject|iframe|embed|object|audio|video|image|use|set)\b|\son[a-z]+\s*=|javascript:|data:text\/html|<!ENTITY|<!DOCTYPE|\b(xlink:)?href\s*=\s*["']\s*(?!#)/i;

/**
 * An `<animate>` tag, up to its `>`, and one that animates a link. They are two patterns, each
 * tag found once and then tested: as one pattern (`<\s*animate[^>]*\battributeName…`), every
 * `<animate` without a `>` after it was scanned to the end of the text again, and 2 MiB of
 * them, which a member may upload as a student ID photo, held the process for some twenty
 * minutes (144 KB of them took 5.8 s). The spaces around the quote after `=` are read as
 * `\s*(?:["']\s*)?`, never `\s*["']?\s*`: with the quote left out, two `\s*` in a row split
 * one run of spaces every way there is, and 64 KiB of spaces after `attributeName=` took 11 s.
 */
const ANIMATE_TAG = /<\s*animate[^>]*/gi;
const ANIMATES_LINK = /\battributeName\s*=\s*(?:["']\s*)?(xlink:)?href/i;

function isActiveSvg(text: string): boolean {
  if (SVG_ACTIVE.test(text)) return true;
  for (const [tag] of text.matchAll(ANIMATE_TAG)) if (ANIMATES_LINK.test(tag)) return true;
  return false;
}

/**
 * The text with its numeric character references written out, so that a script URL spelled
 * `&#106;avascript:` is seen as what a browser reads. A reference to no character stays as it is.
 */
function withCharacterReferencesDecoded(text: string): string {
  return text.replace(/&#(x[0-9a-f]+|[0-9]+);?/gi, (reference, digits: string) => {
    const codePoint =
      digits[0] === "x" || digits[0] === "X" ? Number.parseInt(digits.slice(1), 16) : Number(digits);
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : reference;
  });
}

/**
 * The media type of an upload whose declared type and content agree, or a refusal:
 * `unsupported_media_type` for another type, `<invalidCode>` for content that is not what
 * it claims, empty, larger than `maxBytes`, or an SVG with active content.
 */
export function checkImage(
  declared: string,
  bytes: Buffer,
  options: { maxBytes: number; invalidCode: string; what: string },
): ImageMediaType {
  const { maxBytes, invalidCode, what } = options;
  const media = declared.split(";")[0]!.trim().toLowerCase();
  if (!(IMAGE_MEDIA_TYPES as readonly string[]).includes(media)) {
    throw new DomainError("unsupported_media_type", `An ${what} is PNG, JPEG, WebP or SVG`);
  }
  if (bytes.length === 0 || bytes.length > maxBytes) {
    const limit = maxBytes % (1024 * 1024) === 0 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes} bytes`;
    throw new DomainError(invalidCode, `An ${what} is 1 byte to ${limit}`);
  }
  if (media === "image/svg+xml") {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new DomainError(invalidCode, `An SVG ${what} is UTF-8 text`);
    }
    if (!/<svg[\s>]/i.test(text)) throw new DomainError(invalidCode, "The file is not an SVG image");
    if (isActiveSvg(text) || isActiveSvg(withCharacterReferencesDecoded(text))) {
      throw new DomainError(
        invalidCode,
        "The SVG carries active content (scripts, event handlers, external links, embedded documents or entities)",
      );
    }
    return media;
  }
  if (sniff(bytes) !== media) throw new DomainError(invalidCode, `The file is not a ${media} image`);
  return media as ImageMediaType;
}

/** Headers an uploaded image is served with: no script runs even if a browser opens it directly. */
export const IMAGE_RESPONSE_HEADERS = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  "x-content-type-options": "nosniff",
} as const;
