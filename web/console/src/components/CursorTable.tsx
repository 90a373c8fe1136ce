import { useQuery } from "@tanstack/react-query";
import { Button, Space, Table, type TableProps } from "antd";
import { useSearchParams } from "react-router-dom";
import { useI18n } from "../i18n/i18n";
import { ProblemAlert } from "./problems";

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

export const PAGE_SIZE = 20;

/** Filters live in the URL (shareable, survive reload); `after` is the API's cursor. */
export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(
    keys.map((k) => [k, params.get(k) ?? undefined]).filter(([, v]) => v !== undefined && v !== ""),
  ) as Partial<Record<K, string>>;
  const setFilters = (next: Partial<Record<K, string | undefined>>) => {
    const out = new URLSearchParams();
    for (const [k, v] of Object.entries(next))
      if (v !== undefined && v !== null && v !== "") out.set(k, String(v));
    setParams(out); // new filters start from the first page
  };
  return { filters, setFilters, after: params.get("after") ?? undefined, params, setParams };
}

/**
 * A list page over a cursor-paginated endpoint: Next moves the cursor in the URL,
 * Previous is the browser's back (each page is a history entry).
 */
export function CursorTable<T extends { id: string }>(
  props: {
    queryKey: unknown[];
    fetchPage(cursor: { limit: number; starting_after?: string }): Promise<Page<T>>;
  } & Omit<TableProps<T>, "dataSource" | "pagination" | "loading">,
) {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const after = params.get("after") ?? undefined;
  const { queryKey, fetchPage, ...table } = props;
  const query = useQuery({
    queryKey: [...queryKey, after],
    queryFn: () => fetchPage({ limit: PAGE_SIZE, ...(after ? { starting_after: after } : {}) }),
  });
  const rows = query.data?.data ?? [];
  const next = () => {
    const out = new URLSearchParams(params);
    out.set("after", rows[rows.length - 1]!.id);
    setParams(out);
  };
  return (
    <>
      <ProblemAlert error={query.error} />
      <Table<T>
        rowKey="id"
        size="middle"
        {...table}
        dataSource={rows}
        loading={query.isFetching}
        pagination={false}
      />
      <Space style={{ marginTop: 12, justifyContent: "flex-end", width: "100%" }}>
        <Button disabled={!after} onClick={() => history.back()}>
          {t("list.previous")}
        </Button>
        <Button disabled={!query.data?.has_more} onClick={next}>
          {t("list.next")}
        </Button>
      </Space>
    </>
  );
}
