/**
 * The member's visit: the tenant comes from the URL (/m/<tenant id>/…), the member token from
 * trading the link's one-time code. The token lives in this tab's sessionStorage only and
 * the code is removed from the address bar at once, so neither is left in history.
 */
import { ApiError, api, unwrap } from "../../api/client";

export type Branding = Awaited<ReturnType<typeof loadBranding>>;
export interface Visit {
  memberId: string;
  token: string;
  expiresAt: string;
}

export const tenantId = /^\/m\/([A-Za-z0-9_-]+)/.exec(location.pathname)?.[1] ?? "";
export const basename = `/m/${tenantId}`;
const storageKey = `vouchsafe.member.${tenantId}`;
let token: string | undefined;

api.use({
  onRequest({ request }) {
    if (token) request.headers.set("authorization", `Bearer ${token}`);
    return request;
  },
});

/** Why there is no visit: the refusal's code, or "none" when the page was opened without a link. */
export type NoVisit = "invalid" | "used" | "expired" | "none";

function stored(): Visit | undefined {
  try {
    const visit = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as Visit | null;
    return visit && Date.parse(visit.expiresAt) > Date.now() ? visit : undefined;
  } catch {
    return undefined;
  }
}

export async function startVisit(): Promise<Visit | NoVisit> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) {
    const visit = stored();
    token = visit?.token;
    return visit ?? "none";
  }
  params.delete("code");
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}`);
  try {
    const session = await unwrap(
      api.POST("/v1/member-center/sessions", { body: { tenant_id: tenantId, code } }),
    );
    const visit = { memberId: session.member_id, token: session.token, expiresAt: session.expires_at };
    sessionStorage.setItem(storageKey, JSON.stringify(visit));
    token = visit.token;
    return visit;
  } catch (error) {
    const code = error instanceof ApiError ? error.problem.code : undefined;
    if (code === "member_center_code_used") return "used";
    if (code === "member_center_code_expired") return "expired";
    return "invalid";
  }
}

export function endVisit(): void {
  sessionStorage.removeItem(storageKey);
  token = undefined;
}

export function loadBranding() {
  return unwrap(
    api.GET("/v1/member-center/tenants/{tenant_id}/branding", { params: { path: { tenant_id: tenantId } } }),
  );
}
