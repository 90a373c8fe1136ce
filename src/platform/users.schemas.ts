import { Type } from "typebox";
import { ROLES } from "./auth/actor.js";
import { CSRF_HEADER } from "./auth/authenticate.js";
import { MAX_PASSWORD_LENGTH } from "./auth/passwords.js";
import type { UserRow } from "./auth/sessions.js";
import { IdParam, Obj, StringEnum, Timestamp } from "./http/schemas.js";

export const RoleSchema = StringEnum(ROLES);
export const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });

export const User = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("user"),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    org_unit_id: Type.Union([Type.String(), Type.Null()]),
    disabled_at: Type.Union([Timestamp, Type.Null()]),
    locked_until: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "User" },
);

export const Session = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("session"),
    tenant_id: Type.String(),
    csrf_token: Type.String({
      description: `Send it as the ${CSRF_HEADER} header on every write made with the session cookie`,
    }),
    expires_at: Timestamp,
    user: User,
  },
  { $id: "Session" },
);

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeUser(row: UserRow) {
  return {
    id: row.id,
    object: "user" as const,
    email: row.email,
    name: row.name,
    role: row.role,
    org_unit_id: row.org_unit_id,
    disabled_at: iso(row.disabled_at),
    locked_until: iso(row.locked_until),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const UserBody = Obj({
  email: Type.String({ format: "email", maxLength: 320 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  password: Password,
  role: RoleSchema,
  org_unit_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
});
