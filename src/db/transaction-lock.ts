import { sql } from "kysely";
import type { Tx } from "./database.js";

/**
 * Holds a named lock until the transaction ends, for a rule no row lock can guard: a count
 * across rows ("at most N of a kind", where two creations at the last free place would each
 * see room) or a key that has no row yet (the first use of a client's id). The name's parts
 * say what it guards, the tenant among them, so tenants never wait on one another; it is
 * hashed into PostgreSQL's 64-bit advisory lock space, where a collision only makes two
 * unrelated transactions take turns.
 */
export async function lockForTransaction(trx: Tx, ...name: string[]): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${name.join(":")}, 0))`.execute(trx);
}

/**
 * `lockForTransaction`'s shared form: any number of transactions hold it together, and each
 * waits for (and keeps out) one holding the same name exclusively. For work that applies a
 * setting beside the save that changes it.
 */
export async function lockSharedForTransaction(trx: Tx, ...name: string[]): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(hashtextextended(${name.join(":")}, 0))`.execute(trx);
}
