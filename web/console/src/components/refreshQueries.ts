import type { QueryClient } from "@tanstack/react-query";

/** After a write: every cached query under one of these first keys is stale, the shown ones refetch. */
export function refreshQueries(client: QueryClient, keys: readonly string[]): Promise<void> {
  return client.invalidateQueries({ predicate: (query) => keys.includes(String(query.queryKey[0])) });
}
