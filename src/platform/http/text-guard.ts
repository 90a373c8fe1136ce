import { DomainError } from "../../shared/errors.js";

/**
 * PostgreSQL refuses NUL in text (a 500 if it gets that far) and silently stores an unpaired
 * UTF-16 surrogate as U+FFFD (a different value than the client sent). Both are refused at the
 * door, for every string and every object key of the body, the query and the path.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what must be found.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why such text is refused, in the words every refusal of it uses. */
export const UNSTORABLE_TEXT_MESSAGE = "must not contain NUL characters or unpaired surrogates";

/**
 * Whether PostgreSQL would refuse or alter this text. Text that never passed through the body
 * check (the cells of an uploaded file) is held to the same rule with it.
 */
export function isUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text);
}

/** Nesting deeper than this is refused outright rather than walked. */
const MAX_DEPTH = 64;

function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The JSON pointer of the first string or key that cannot be stored, if any. The walk builds
 * no path on the way down (a bulk body has tens of thousands of strings): the pointer is
 * assembled only on the way back up from what was found.
 */
export function findUnstorableText(value: unknown): string | undefined {
  const path = unstorable(
    value,
    0,
    !(typeof value === "object" && value !== null && escapeFreeBodies.has(value)),
  );
  if (path === undefined) return undefined;
  return path.length === 0 ? "/" : path.map((s) => `/${pointerSegment(s)}`).join("");
}

/**
 * Parsed JSON bodies whose text had no `\u` escape. In such a body no string or key holds NUL
 * or an unpaired surrogate: the text was strict UTF-8 (which cannot encode a surrogate),
 * JSON refuses a raw control character in a string, and only a `\u` escape makes either.
 * Their walk checks the nesting alone, not every string.
 */
const escapeFreeBodies = new WeakSet<object>();

/** The JSON parser's note that `body` came from `text` (see escapeFreeBodies). */
export function noteParsedJson(body: unknown, text: string): void {
  if (body !== null && typeof body === "object" && !text.includes("\\u")) escapeFreeBodies.add(body);
}

/**
 * The path (innermost last) to the first unstorable string or key, or undefined; with
 * `texts` false, only to nesting too deep.
 */
function unstorable(value: unknown, depth: number, texts: boolean): (string | number)[] | undefined {
  if (typeof value === "string") return texts && UNSTORABLE.test(value) ? [] : undefined;
  if (value === null || typeof value !== "object") return undefined;
  // Only parsed JSON and query values are walked: an upload's stream or buffer is not text.
  if (ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === "function") return undefined;
  if (depth >= MAX_DEPTH) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorable(value[i], depth + 1, texts);
      if (found) {
        found.unshift(i);
        return found;
      }
    }
    return undefined;
  }
  for (const key in value as Record<string, unknown>) {
    if (!Object.hasOwn(value, key)) continue;
    if (texts && UNSTORABLE.test(key)) return [key];
    const found = unstorable((value as Record<string, unknown>)[key], depth + 1, texts);
    if (found) {
      found.unshift(key);
      return found;
    }
  }
  return undefined;
}

/** Throws `validation_failed` naming the field when any part of the request holds unstorable text. */
export function refuseUnstorableText(parts: { body?: unknown; query?: unknown; params?: unknown }): void {
  for (const [part, value] of Object.entries(parts)) {
    const pointer = findUnstorableText(value);
    if (pointer === undefined) continue;
    const field = `/${part}${pointer === "/" ? "" : pointer}`;
    const message = `${UNSTORABLE_TEXT_MESSAGE}, and nest at most 64 levels`;
    throw new DomainError("validation_failed", `${field} ${message}`, { errors: [{ field, message }] });
  }
}
