import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, api, idempotencyKey, type paths, unwrap } from "../../../api/client";

export type OrgUnit = paths["/v1/org-units/{id}"]["get"]["responses"][200]["content"]["application/json"];
type Kind = OrgUnit["kind"];

/** A page size the API allows; the pickers below read at most this many pages. */
const PAGE = 100;
export const MAX_PICKER_PAGES = 10;

/** Every page of a cursor list, up to MAX_PICKER_PAGES × 100 rows (a picker's stated limit). */
export async function readAll<T>(
  fetchPage: (cursor: {
    limit: number;
    starting_after?: string;
  }) => Promise<{ data: T[]; has_more: boolean }>,
  idOf: (row: T) => string,
): Promise<T[]> {
  const rows: T[] = [];
  let after: string | undefined;
  for (let n = 0; n < MAX_PICKER_PAGES; n++) {
    const page = await fetchPage({ limit: PAGE, ...(after ? { starting_after: after } : {}) });
    rows.push(...page.data);
    if (!page.has_more || page.data.length === 0) break;
    after = idOf(page.data[page.data.length - 1]!);
  }
  return rows;
}

/** The units of one kind below a unit (its customers, resellers or member accounts). */
export function useUnitsBelow(unitId: string, kind: Kind) {
  return useQuery({
    queryKey: ["org-units", unitId, kind],
    queryFn: () =>
      readAll(
        (cursor) =>
          unwrap(api.GET("/v1/org-units", { params: { query: { ...cursor, subtree_of: unitId, kind } } })),
        (u) => u.id,
      ),
  });
}

/** A unit's name by id, falling back to the id. */
export function namer(units: OrgUnit[] | undefined) {
  const names = new Map((units ?? []).map((u) => [u.id, u.name]));
  return (id: string) => names.get(id) ?? id;
}

/**
 * Sends one dialog's value-moving request: one Idempotency-Key per attempt, kept for a retry
 * after a lost answer and renewed once the server has answered with a refusal.
 */
export function useKeyedSend() {
  const [error, setError] = useState<unknown>();
  const [key, setKey] = useState(idempotencyKey);
  const send = async (work: (key: string) => Promise<void>) => {
    setError(undefined);
    try {
      await work(key);
      setKey(idempotencyKey());
    } catch (e) {
      setError(e);
      if (e instanceof ApiError) setKey(idempotencyKey());
    }
  };
  return { error, send };
}
