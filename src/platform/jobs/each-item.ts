/** What one item's failed work in a sweep was (a payment, an account), for the sweep's error. */
export interface ItemFailure {
  id: string;
  error: unknown;
}

/** At most this many failures are named in the error message (all are kept on it). */
const NAMED_FAILURES = 10;

/** `id: message; …` for the first few failures, and how many more there were. */
export function describeFailures(failures: readonly { id: string; error: unknown }[]): string {
  const named = failures
    .slice(0, NAMED_FAILURES)
    .map((f) => `${f.id}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
  const more = failures.length > NAMED_FAILURES ? `; and ${failures.length - NAMED_FAILURES} more` : "";
  return `${named.join("; ")}${more}`;
}

/**
 * Some items of one tenant's sweep failed; the others were done. Thrown once the sweep's whole
 * run is over, so the job is recorded failed (and retried) with the items it names.
 */
export class ItemSweepError extends Error {
  constructor(
    readonly what: string,
    readonly failures: ItemFailure[],
  ) {
    super(`${failures.length} ${what} failed: ${describeFailures(failures)}`);
    this.name = "ItemSweepError";
  }
}

/**
 * Runs a sweep's work for each item in its own unit of work (the caller's `run`), collecting
 * the failures instead of stopping at the first: an item that fails on every run (a row its
 * work cannot settle) would otherwise hold back every item after it for good. The caller
 * finishes the rest of its run, then throws the failures (`ItemSweepError`).
 */
export async function eachItem<I, T>(
  items: readonly I[],
  idOf: (item: I) => string,
  run: (item: I) => Promise<T>,
  failures: ItemFailure[],
): Promise<T[]> {
  const results: T[] = [];
  for (const item of items) {
    try {
      results.push(await run(item));
    } catch (error) {
      failures.push({ id: idOf(item), error });
    }
  }
  return results;
}
