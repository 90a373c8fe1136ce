import { type SelectQueryBuilder, sql } from "kysely";
import type { Database } from "../../db/database.js";

/** The default and maximum page sizes of every list (DESIGN: limit ≤ 100). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export interface Page<T> {
  object: "list";
  data: T[];
  has_more: boolean;
}

/** Lists fetch `limit + 1` rows ordered by id; the extra row only says whether more exist. */
export function toPage<R, T>(rows: R[], limit: number, serialize: (row: R) => T): Page<T> {
  return { object: "list", data: rows.slice(0, limit).map(serialize), has_more: rows.length > limit };
}

export function pageLimit(limit: number | undefined): number {
  return Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT);
}

/** The query parameters every list takes (`ListQuery` in schemas.ts). */
export interface PageParams {
  limit?: number;
  starting_after?: string;
}

/**
 * One page of a keyset list: the query (already scoped to the tenant and filtered) ordered
 * by `by` (default `id`), starting after the cursor, `limit + 1` rows to learn whether more
 * exist. `desc` lists newest first (the cursor is then an older-than id).
 */
export async function pageQuery<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageParams,
  serialize: (row: O) => T | Promise<T>,
  order: { by?: string; desc?: boolean } = {},
): Promise<Page<T>> {
  return pageOfRows(await pageRowsQuery(query, page, order).execute(), page, serialize);
}

/** The rows `pageQuery` reads, as a query for a transaction or for `Database.tenantQuery`. */
export function pageRowsQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageParams,
  order: { by?: string; desc?: boolean } = {},
): SelectQueryBuilder<DB, TB, O> {
  const limit = pageLimit(page.limit);
  const column = sql.ref(order.by ?? "id");
  let q = query.orderBy(column, order.desc ? "desc" : "asc").limit(limit + 1);
  if (page.starting_after) q = q.where(column, order.desc ? "<" : ">", page.starting_after);
  return q;
}

/** `pageQuery`'s answer from the rows of `pageRowsQuery`. */
export async function pageOfRows<O, T>(
  rows: readonly O[],
  page: PageParams,
  serialize: (row: O) => T | Promise<T>,
): Promise<Page<T>> {
  const limit = pageLimit(page.limit);
  // One row after another: a serializer that reads shares the transaction's one connection.
  const data: T[] = [];
  for (const row of rows.slice(0, limit)) data.push(await serialize(row));
  return { object: "list", data, has_more: rows.length > limit };
}

/**
 * One page of a keyset list (see `pageRowsQuery`) in one round trip (`Database.tenantQuery`),
 * the query built from `db.kysely`.
 */
export async function tenantPage<DB, TB extends keyof DB, O, T>(
  db: Database,
  tenantId: string,
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageParams,
  serialize: (row: O) => T | Promise<T>,
  order: { by?: string; desc?: boolean } = {},
): Promise<Page<T>> {
  return pageOfRows(await db.tenantQuery(tenantId, pageRowsQuery(query, page, order)), page, serialize);
}
