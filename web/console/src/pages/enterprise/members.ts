import { useQuery } from "@tanstack/react-query";
import { api, type paths, unwrap } from "../../../../api/client";
import { readAll, useUnitsBelow } from "../../components/partner-data";

export type Member =
  paths["/v1/enterprises/{id}/members"]["get"]["responses"][200]["content"]["application/json"]["data"][number];

/** The master's member accounts: every unit below it, with its association (if any). */
export function useMemberAccounts(enterpriseId: string) {
  const units = useUnitsBelow(enterpriseId, "member_account");
  const members = useQuery({
    queryKey: ["enterprise-members", enterpriseId],
    queryFn: () =>
      readAll(
        (cursor) =>
          unwrap(
            api.GET("/v1/enterprises/{id}/members", {
              params: { path: { id: enterpriseId }, query: cursor },
            }),
          ),
        (m) => m.member_id,
      ),
  });
  const byId = new Map((members.data ?? []).map((m) => [m.member_id, m]));
  const rows = (units.data ?? []).map((u) => ({
    id: u.id,
    name: u.name,
    code: u.code,
    member: byId.get(u.id),
  }));
  return {
    rows,
    associated: rows.filter((r) => r.member),
    pending: units.isPending || members.isPending,
    error: units.error ?? members.error,
  };
}
export type MemberAccount = ReturnType<typeof useMemberAccounts>["rows"][number];
