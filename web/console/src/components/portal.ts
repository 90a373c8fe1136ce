import { useQuery } from "@tanstack/react-query";
import { api, type components, unwrap } from "../../../api/client";

export type UnitKind = components["schemas"]["OrgUnit"]["kind"];

/**
 * The kind of org unit the signed-in user is bound to: null for tenant-wide users, undefined
 * while it loads. Partner portals (a merchant's deposit center, …) are chosen by it.
 */
export function useOwnUnitKind(orgUnitId: string | null): UnitKind | null | undefined {
  const unit = useQuery({
    queryKey: ["own-unit", orgUnitId],
    enabled: orgUnitId !== null,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () => unwrap(api.GET("/v1/org-units/{id}", { params: { path: { id: orgUnitId! } } })),
  });
  if (orgUnitId === null) return null;
  // A unit that cannot be read leaves the user with the console's ordinary pages.
  if (unit.isError) return null;
  return unit.data?.kind;
}
