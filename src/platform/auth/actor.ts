export const ROLES = ["owner", "admin", "operator", "finance", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export type ActorType = "api_key" | "user" | "member" | "system";

/** Who is calling, resolved once per request from its credentials. */
export interface Actor {
  tenantId: string;
  type: ActorType;
  /** api key id, user id, member id, or a job name for the system. */
  id: string;
  role: Role | "member" | "system";
  /** Set when the actor is bound to an org unit: it sees only that unit's subtree. */
  orgUnitId: string | null;
  /** Materialised path of orgUnitId (`/a/b/`), for subtree checks. */
  orgUnitPath: string | null;
  /** Member tokens reach only this member's own resources. */
  memberId: string | null;
  /** Session-authenticated writes must carry this CSRF token. */
  csrfToken?: string;
  sessionId?: string;
}

export function systemActor(tenantId: string, job: string): Actor {
  return {
    tenantId,
    type: "system",
    id: job,
    role: "system",
    orgUnitId: null,
    orgUnitPath: null,
    memberId: null,
  };
}

/** What every operation needs to know about the request it serves. */
export interface RequestContext {
  actor: Actor;
  requestId: string | null;
}
