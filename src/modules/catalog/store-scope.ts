import { type Static, Type } from "typebox";
import type { Tx } from "../../db/database.js";
import { Obj } from "../../platform/http/schemas.js";
import { orgUnitPath } from "../../platform/org/org-units.js";
import { CatalogError } from "./catalog.errors.js";

/** At most this many ids in each list of a store scope (DESIGN principle 6). */
export const MAX_SCOPE_IDS = 200;

const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" }), {
  maxItems: MAX_SCOPE_IDS,
  uniqueItems: true,
});

/**
 * Where a plan applies: "by individual store, organisation, or store group", "included or
 * excluded stores". A store is in scope when no include list is given or it is one of
 * `stores`, lies under one of `org_units` (the unit's subtree), or belongs to one of
 * `store_groups` — and it is not in `exclude_stores`. Empty = every store.
 */
export const StoreScope = Obj(
  {
    stores: Type.Optional(Ids),
    org_units: Type.Optional(Ids),
    store_groups: Type.Optional(Ids),
    exclude_stores: Type.Optional(Ids),
  },
  {
    description: "Empty = every store; includes are OR-ed; exclude_stores always wins",
    examples: [
      { org_units: ["org_01jd3m2x4y5z6a7b8c9d0e1f2g"], exclude_stores: ["org_01jd3m2x4y5z6a7b8c9d0e1f2h"] },
    ],
  },
);
export type StoreScope = Static<typeof StoreScope>;

const hasIncludes = (s: StoreScope) =>
  (s.stores?.length ?? 0) + (s.org_units?.length ?? 0) + (s.store_groups?.length ?? 0) > 0;

/** Refuses a scope naming a store, org unit or store group the tenant does not have. */
export async function validateStoreScope(trx: Tx, tenantId: string, scope: StoreScope): Promise<void> {
  const units = [...(scope.stores ?? []), ...(scope.exclude_stores ?? [])];
  const stores = new Set(
    units.length === 0
      ? []
      : (
          await trx
            .selectFrom("org_units")
            .select("id")
            .where("tenant_id", "=", tenantId)
            .where("kind", "=", "store")
            .where("id", "in", units)
            .execute()
        ).map((r) => r.id),
  );
  const orgs = scope.org_units ?? [];
  const known = new Set(
    orgs.length === 0
      ? []
      : (
          await trx
            .selectFrom("org_units")
            .select("id")
            .where("tenant_id", "=", tenantId)
            .where("id", "in", orgs)
            .execute()
        ).map((r) => r.id),
  );
  const groups = scope.store_groups ?? [];
  const knownGroups = new Set(
    groups.length === 0
      ? []
      : (
          await trx
            .selectFrom("store_groups")
            .select("id")
            .where("tenant_id", "=", tenantId)
            .where("id", "in", groups)
            .execute()
        ).map((r) => r.id),
  );
  const errors = [
    ...(scope.stores ?? []).filter((id) => !stores.has(id)).map((id) => ["stores", id]),
    ...(scope.exclude_stores ?? []).filter((id) => !stores.has(id)).map((id) => ["exclude_stores", id]),
    ...orgs.filter((id) => !known.has(id)).map((id) => ["org_units", id]),
    ...groups.filter((id) => !knownGroups.has(id)).map((id) => ["store_groups", id]),
  ].map(([field, id]) => ({ field: `/store_scope/${field}`, message: `unknown: ${id}` }));
  if (errors.length > 0) {
    throw new CatalogError(
      "invalid_store_scope",
      "The store scope names stores, org units or groups that do not exist",
      {
        errors,
      },
    );
  }
}

/**
 * What the scope's own lists decide of `storeId` without reading anything: true or false, or
 * null when it turns on where the store lies (its path, its groups).
 */
function listsDecide(scope: StoreScope, storeId: string | null): boolean | null {
  if (storeId && scope.exclude_stores?.includes(storeId)) return false;
  if (!hasIncludes(scope)) return true;
  if (!storeId) return false;
  if (scope.stores?.includes(storeId)) return true;
  return null;
}

// A path is `/root/…/self/`: the store lies under a unit when the unit's id is a segment.
const underUnits = (scope: StoreScope, storePath: string | null | undefined) => {
  if (!scope.org_units?.length || !storePath) return false;
  const segments = new Set(storePath.split("/").filter(Boolean));
  return scope.org_units.some((id) => segments.has(id));
};

/**
 * `storeInScope` over what it would read: the store's org unit path (undefined or null when
 * there is no such unit) and the store ids of store groups by group id (only the scope's own
 * groups are looked at; one missing from the map is a group that does not exist).
 */
export function storeInScopeGiven(
  scope: StoreScope,
  storeId: string | null,
  storePath: string | null | undefined,
  groups: ReadonlyMap<string, readonly string[]>,
): boolean {
  const decided = listsDecide(scope, storeId);
  if (decided !== null) return decided;
  if (underUnits(scope, storePath)) return true;
  return (scope.store_groups ?? []).some((id) => groups.get(id)?.includes(storeId!) ?? false);
}

/**
 * Whether `storeId` (the order's or top-up's store; null: none, e.g. an online sale without
 * one) is in `scope`. A scope with includes needs a store; one with only exclusions admits
 * a sale without a store. Reads only what the decision still turns on.
 */
export async function storeInScope(
  trx: Tx,
  tenantId: string,
  scope: StoreScope,
  storeId: string | null,
): Promise<boolean> {
  const none = new Map<string, readonly string[]>();
  if (listsDecide(scope, storeId) !== null) return storeInScopeGiven(scope, storeId, null, none);
  const storePath = scope.org_units?.length ? await orgUnitPath(trx, tenantId, storeId!) : undefined;
  const groups =
    scope.store_groups?.length && !underUnits(scope, storePath)
      ? await trx
          .selectFrom("store_groups")
          .select(["id", "store_ids"])
          .where("tenant_id", "=", tenantId)
          .where("id", "in", scope.store_groups)
          .execute()
      : [];
  return storeInScopeGiven(scope, storeId, storePath, new Map(groups.map((g) => [g.id, g.store_ids])));
}
