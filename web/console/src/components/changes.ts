/** JSON with its object keys sorted and undefined taken as null: two values the API stored in another key order, or with an absent field given as null, still compare equal. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** Same value, whatever the order of an object's keys (and an absent field taken as null). */
export const sameJson = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

/** An object without its undefined, empty and empty-list entries, or undefined when nothing is left. */
export function compact<T extends Record<string, unknown>>(o: T | undefined | null): T | undefined {
  if (!o) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? (out as T) : undefined;
}

/** The fields of `body` that differ from `before`: an edit sends only what the operator changed. */
export function changedFields(
  body: Record<string, unknown>,
  before: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k, v]) => stableJson(v) !== stableJson(before[k])));
}
