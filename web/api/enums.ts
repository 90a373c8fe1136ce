/** Ties the web apps' own lists of API values to the API's: shared by the console and the member center. */
import type { paths } from "./openapi.js";

type ListQuery<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

/** The values a list route's query parameter takes, e.g. `QueryValue<"/v1/deposit-withdrawals", "status">`. */
export type QueryValue<P extends keyof paths, K extends keyof ListQuery<P>> = NonNullable<ListQuery<P>[K]>;

/**
 * The list as given, once it names every value of the API's union `T` and no other. The
 * console keeps its own lists (for their order and labels), so this is what stops one from
 * falling behind the API: a value added there and missing here fails to compile, and the
 * error names it.
 */
export function everyValueOf<T extends string>() {
  return <const L extends readonly T[]>(
    list: L &
      ([Exclude<T, L[number]>] extends [never] ? unknown : { readonly missing: Exclude<T, L[number]> }),
  ): L => list;
}
