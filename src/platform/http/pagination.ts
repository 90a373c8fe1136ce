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
