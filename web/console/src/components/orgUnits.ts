import { useQuery } from "@tanstack/react-query";
import { api, type components, unwrap } from "../../../api/client";

type OrgUnit = components["schemas"]["OrgUnit"];

/** The tree is drawn whole, so it reads every page of the caller's units (at most this many). */
const MAX_PAGES = 20;

/** Every unit the caller may see: the API answers only the caller's subtree. */
export async function fetchAllUnits(): Promise<OrgUnit[]> {
  const all: OrgUnit[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const next = await unwrap(
      api.GET("/v1/org-units", {
        params: { query: { limit: 100, ...(after ? { starting_after: after } : {}) } },
      }),
    );
    all.push(...next.data);
    if (!next.has_more || next.data.length === 0) break;
    after = next.data[next.data.length - 1]!.id;
  }
  return all;
}

export function useOrgUnits() {
  return useQuery({ queryKey: ["org-units"], queryFn: fetchAllUnits });
}
