import { useQuery } from "@tanstack/react-query";
import { Card, Tag, Tree, Typography } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { type MessageKey, useI18n } from "../i18n/i18n";

type OrgUnit = components["schemas"]["OrgUnit"];
interface Node {
  key: string;
  title: React.ReactNode;
  children: Node[];
}

/** The org tree the user may see: the API answers only the caller's subtree. */
export default function OrgUnits() {
  const { t } = useI18n();
  const units = useQuery({
    queryKey: ["org-units"],
    queryFn: () => unwrap(api.GET("/v1/org-units", { params: { query: { limit: 100 } } })),
  });
  const rows = units.data?.data ?? [];
  const byId = new Map<string, Node>();
  for (const u of rows)
    byId.set(u.id, {
      key: u.id,
      title: (
        <span data-testid="org-unit">
          {u.name} <Tag>{t(`org.kind.${u.kind}` as MessageKey)}</Tag>
          {u.code ? <Typography.Text type="secondary">{u.code}</Typography.Text> : null}
        </span>
      ),
      children: [],
    });
  const roots: Node[] = [];
  for (const u of rows as OrgUnit[]) {
    const node = byId.get(u.id)!;
    const parent = u.parent_id ? byId.get(u.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return (
    <>
      <Typography.Title level={3}>{t("nav.org")}</Typography.Title>
      <ProblemAlert error={units.error} />
      <Card loading={units.isPending}>
        {rows.length > 0 ? <Tree treeData={roots} defaultExpandAll selectable={false} /> : null}
      </Card>
    </>
  );
}
