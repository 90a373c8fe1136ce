import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext } from "react";
import { ACCESS } from "../../api/access";
import { ApiError, api, type paths, setCsrfToken, unwrap } from "../../api/client";

export type Session = paths["/v1/sessions/current"]["get"]["responses"][200]["content"]["application/json"];
export type User = Session["user"];
type TenantResponse = Awaited<ReturnType<typeof fetchTenant>>;
export type Tenant = TenantResponse;

async function fetchTenant() {
  return unwrap(api.GET("/v1/tenant"));
}

/** The signed-in session, or null when nobody is signed in (the API answers 401). */
async function fetchSession(): Promise<{ session: Session; tenant: Tenant } | null> {
  try {
    const session = await unwrap(api.GET("/v1/sessions/current"));
    setCsrfToken(session.csrf_token);
    return { session, tenant: await fetchTenant() };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useSessionQuery() {
  return useQuery({
    queryKey: ["session"],
    queryFn: fetchSession,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
}

interface SessionValue {
  session: Session;
  tenant: Tenant;
  user: User;
  /** Whether the user's role and org scope may call the operation ("GET /v1/users"). */
  can(operation: string): boolean;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider(props: { session: Session; tenant: Tenant; children: ReactNode }) {
  const client = useQueryClient();
  const { session, tenant } = props;
  const can = useCallback(
    (operation: string) => {
      const access = ACCESS[operation];
      if (!access) throw new Error(`unknown operation ${operation}`);
      if (!access.roles.includes(session.user.role)) return false;
      return !(access.tenantWide && session.user.org_unit_id);
    },
    [session],
  );
  const signOut = useCallback(async () => {
    await api.DELETE("/v1/sessions/current");
    setCsrfToken(undefined);
    client.clear();
    client.setQueryData(["session"], null);
  }, [client]);
  return (
    <SessionContext.Provider value={{ session, tenant, user: session.user, can, signOut }}>
      {props.children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
