import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { escapeLike } from "../org/org-units.js";

/**
 * "Operator" filters (seed 001 §2.1: "enter an operator name"): an actor id column matches
 * the id itself, a user whose name contains the text, or an API key whose label does.
 */
export function actorMatches(column: string, tenantId: string, text: string): RawBuilder<SqlBool> {
  const like = `%${escapeLike(text)}%`;
  const ref = sql.ref(column);
  return sql<SqlBool>`(${ref} = ${text}
    or ${ref} in (select u.id from users u where u.tenant_id = ${tenantId} and u.name ilike ${like})
    or ${ref} in (select k.id from api_keys k where k.tenant_id = ${tenantId} and k.name ilike ${like}))`;
}

/** The display names of actor ids: a user's name or an API key's label (others are absent). */
export async function actorNames(
  trx: Tx,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const users = await trx
    .selectFrom("users")
    .select(["id", "name"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", wanted)
    .execute();
  const keys = await trx
    .selectFrom("api_keys")
    .select(["id", "name"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", wanted)
    .execute();
  return new Map([...users, ...keys].map((r) => [r.id, r.name]));
}
