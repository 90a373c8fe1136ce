/**
 * `load` run on the first call and its promise shared by every later one; a failed load is
 * forgotten, so the next call tries again. For the large SDKs a process may never use
 * (payment providers, SMS, mail, spreadsheets): importing them at start kept some 29 MB on
 * the heap of every API process, which each full garbage collection then had to mark.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
