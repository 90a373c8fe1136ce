import { type Expression, type QueryCreator, type RawBuilder, type SqlBool, sql } from "kysely";
import type { DB } from "../../db/schema.js";
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

/**
 * The users and API keys among the ids, as two queries for `Database.tenantQueries`: the ids
 * may be a subquery (who last changed each row of a page read in the same round trip).
 */
export function actorNameQueries(qc: QueryCreator<DB>, tenantId: string, ids: string[] | Expression<string>) {
  return [
    qc.selectFrom("users").select(["id", "name"]).where("tenant_id", "=", tenantId).where("id", "in", ids),
    qc.selectFrom("api_keys").select(["id", "name"]).where("tenant_id", "=", tenantId).where("id", "in", ids),
  ] as const;
}

/** A user's name or an API key's label by id, of what `actorNameQueries` read. */
export function actorNamesOf(
  users: readonly { id: string; name: string }[],
  keys: readonly { id: string; name: string }[],
): Map<string, string> {
  return new Map([...users, ...keys].map((r) => [r.id, r.name]));
}
