import type { Tx } from "../../db/database.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { ROLES, type Role } from "./actor.js";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./passwords.js";

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  org_unit_id: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function assertPasswordAcceptable(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new DomainError(
      "validation_failed",
      `A password needs ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`,
      {
        errors: [
          {
            field: "/body/password",
            message: `must have ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`,
          },
        ],
      },
    );
  }
}

export async function createUser(
  trx: Tx,
  tenantId: string,
  input: { email: string; name: string; password: string; role: Role; orgUnitId?: string | null },
  now: Date,
): Promise<UserRecord> {
  if (!EMAIL.test(input.email)) {
    throw new DomainError("validation_failed", "The email address is not valid", {
      errors: [{ field: "/body/email", message: "is not an email address" }],
    });
  }
  if (!ROLES.includes(input.role)) throw new DomainError("validation_failed", `Unknown role ${input.role}`);
  assertPasswordAcceptable(input.password);
  const existing = await trx
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", input.email.toLowerCase()))
    .executeTakeFirst();
  if (existing) throw new DomainError("email_taken", "A user with this email already exists");
  const row = await trx
    .insertInto("users")
    .values({
      tenant_id: tenantId,
      id: newId("usr"),
      email: input.email,
      name: input.name,
      password_hash: await hashPassword(input.password),
      role: input.role,
      org_unit_id: input.orgUnitId ?? null,
      locked_until: null,
      disabled_at: null,
      created_at: now,
      updated_at: now,
    })
    .returning(["id", "email", "name", "role", "org_unit_id", "disabled_at", "created_at", "updated_at"])
    .executeTakeFirstOrThrow();
  return row as UserRecord;
}
