import { useQuery } from "@tanstack/react-query";
import { Select, Space, Typography } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useOrgUnits } from "./orgUnits";

/** Where a plan applies (the API's `store_scope`): empty means every store. */
export type StoreScope = {
  stores?: string[];
  org_units?: string[];
  store_groups?: string[];
  exclude_stores?: string[];
};

/** The API refuses a longer list (MAX_SCOPE_IDS): the pickers stop there too. */
const MAX_SCOPE_IDS = 200;

/** A scope with its empty lists dropped, so an untouched field sends `{}` (every store). */
export function compactStoreScope(scope: StoreScope | undefined): StoreScope {
  const out: StoreScope = {};
  for (const key of ["stores", "org_units", "store_groups", "exclude_stores"] as const) {
    if (scope?.[key]?.length) out[key] = scope[key];
  }
  return out;
}

/** The store groups a picker offers: one page of the largest the API serves. */
function useStoreGroups() {
  return useQuery({
    queryKey: ["store-groups", "picker"],
    queryFn: () => unwrap(api.GET("/v1/store-groups", { params: { query: { limit: 100 } } })),
  });
}

/**
 * A store scope as the seeds describe it ("by individual store, organisation, or store group",
 * "included or excluded stores"): stores, organisations (each with its subtree) and store groups
 * are OR-ed, and an excluded store is out whatever includes it. Nothing chosen = every store.
 */
export function StoreScopeField(props: { value?: StoreScope; onChange?: (scope: StoreScope) => void }) {
  const { t } = useI18n();
  const units = useOrgUnits();
  const groups = useStoreGroups();
  const all: components["schemas"]["OrgUnit"][] = units.data ?? [];
  const stores = all.filter((u) => u.kind === "store").map((u) => ({ value: u.id, label: u.name }));
  const orgs = all.filter((u) => u.kind !== "store").map((u) => ({ value: u.id, label: u.name }));
  const groupOptions = (groups.data?.data ?? []).map((g) => ({ value: g.id, label: g.name }));
  const scope = props.value ?? {};
  const set = (key: keyof StoreScope, ids: string[]) =>
    props.onChange?.(compactStoreScope({ ...scope, [key]: ids }));
  const picker = (
    key: keyof StoreScope,
    label: string,
    options: { value: string; label: string }[],
    loading: boolean,
  ) => (
    <Select
      mode="multiple"
      allowClear
      aria-label={label}
      placeholder={label}
      data-testid={`store-scope-${key}`}
      style={{ minWidth: 320 }}
      optionFilterProp="label"
      maxCount={MAX_SCOPE_IDS}
      loading={loading}
      value={scope[key] ?? []}
      options={options}
      onChange={(ids: string[]) => set(key, ids)}
    />
  );
  const included =
    (scope.stores?.length ?? 0) + (scope.org_units?.length ?? 0) + (scope.store_groups?.length ?? 0);
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      {picker("stores", t("storeScope.stores"), stores, units.isFetching)}
      {picker("org_units", t("storeScope.orgUnits"), orgs, units.isFetching)}
      {picker("store_groups", t("storeScope.storeGroups"), groupOptions, groups.isFetching)}
      {picker("exclude_stores", t("storeScope.excludeStores"), stores, units.isFetching)}
      <Typography.Text type="secondary" data-testid="store-scope-summary">
        {included === 0 ? t("storeScope.everyStore") : t("storeScope.chosen")}
      </Typography.Text>
    </Space>
  );
}
