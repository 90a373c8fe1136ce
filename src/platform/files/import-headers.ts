/**
 * The columns a header row names more than once, each once, in the order they first repeat.
 * `names` are the header's columns as the import resolved them (null or "" for a column it
 * ignores). A file that names a column twice is ambiguous: which of its two cells is the
 * member's phone? Reading it would silently keep one of them, so imports refuse it instead.
 */
export function repeatedColumns(names: readonly (string | null)[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (!name) continue;
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}
