/** JSON with every object's keys sorted: the API may give a stored object's keys in another order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The fields of `body` that differ from `before`: an edit sends only what the operator changed. */
export function changedFields(
  body: Record<string, unknown>,
  before: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k, v]) => stableJson(v) !== stableJson(before[k])));
}
