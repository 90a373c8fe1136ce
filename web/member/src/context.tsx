import { createContext, useContext } from "react";
import type { Branding, Visit } from "./session";

export interface MemberContext {
  visit: Visit;
  branding: Branding;
}

export const Member = createContext<MemberContext | null>(null);

/** The signed-in member and the tenant's branding (set once the visit started). */
export function useMember(): MemberContext {
  const value = useContext(Member);
  if (!value) throw new Error("useMember outside the member center");
  return value;
}
