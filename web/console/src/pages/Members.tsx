import { useQuery } from "@tanstack/react-query";
import { Form, Input, InputNumber, Select, Space, Tag } from "antd";
import { Link } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { useSegmentLabels } from "../components/AudienceFields";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { ImportButton } from "../components/ImportDialog";
import { FilterBar, PageHeader } from "../components/Page";
import { WalletStatCards } from "../components/StatCards";
import { useI18n } from "../i18n/i18n";
import { MemberCreateButton } from "./MemberCreate";

type Member = components["schemas"]["Member"];
const FILTERS = ["q", "tier", "tag", "status", "balance_min", "balance_max", "sort"] as const;
type Sort = "balance_asc" | "balance_desc";

function PointsCell({ id }: { id: string }) {
  const { fmt } = useI18n();
  const balance = useQuery({
    queryKey: ["balance", id],
    queryFn: () => unwrap(api.GET("/v1/members/{id}/balance", { params: { path: { id } } })),
  });
  if (!balance.data) return <span>…</span>;
  return <span>{fmt.number(balance.data.points)}</span>;
}

export default function Members() {
  const { t, fmt } = useI18n();
  const labels = useSegmentLabels();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const [_form] = Form.useForm();
  // The URL keeps balance bounds in minor units (what the API takes); the form shows major units.
  const major = (minor: string | undefined) => (minor === undefined ? undefined : fmt.toMajor(Number(minor)));
  const minor = (value: unknown) =>
    value === undefined || value === null || value === "" ? undefined : String(fmt.toMinor(String(value)));
  const sort = filters.sort as Sort | undefined;
  return (
    <>
      <PageHeader
        title={t("members.title")}
        extra={
          <Space>
            <ImportButton type="members" />
            <MemberCreateButton />
          </Space>
        }
      />
      <WalletStatCards />
      <FilterBar
        name="member-filters"
        initialValues={{
          ...filters,
          balance_min: major(filters.balance_min),
          balance_max: major(filters.balance_max),
        }}
        onSearch={(v) =>
          setFilters({
            ...v,
            balance_min: minor(v.balance_min),
            balance_max: minor(v.balance_max),
            sort: filters.sort,
          })
        }
      >
        <Form.Item name="q" label={t("members.search")}>
          <Input allowClear placeholder={t("members.searchHint")} style={{ width: 240 }} />
        </Form.Item>
        <Form.Item name="tier" label={t("members.tier")}>
          <Input allowClear style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="tag" label={t("members.tag")}>
          <Input allowClear style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={(["active", "frozen", "closed"] as const).map((s) => ({
              value: s,
              label: t(`members.status.${s}`),
            }))}
          />
        </Form.Item>
        <Form.Item name="balance_min" label={t("members.balanceFrom")}>
          <InputNumber min={0} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="balance_max" label={t("members.balanceTo")}>
          <InputNumber min={0} style={{ width: 120 }} />
        </Form.Item>
      </FilterBar>
      <CursorTable<Member>
        queryKey={["members", filters]}
        onChange={(_pagination, _filters, sorter) => {
          const order = Array.isArray(sorter) ? undefined : sorter.order;
          setFilters({
            ...filters,
            sort: order === "ascend" ? "balance_asc" : order === "descend" ? "balance_desc" : undefined,
          });
        }}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/members", {
              params: { query: { ...cursor, ...filters } as never },
            }),
          )
        }
        columns={[
          {
            title: t("members.name"),
            dataIndex: "name",
            render: (name, m) => <Link to={`/members/${m.id}`}>{name}</Link>,
          },
          { title: t("members.phone"), dataIndex: "phone", render: (v) => v ?? "—" },
          {
            title: t("members.tier"),
            key: "tier",
            render: (_, m) =>
              m.tier ? (
                <Tag color="gold" title={m.card_plan ? `${m.card_plan} · ${m.tier}` : m.tier}>
                  {labels.tier(m.card_plan, m.tier)}
                </Tag>
              ) : (
                "—"
              ),
          },
          {
            title: t("members.tags"),
            key: "tags",
            render: (_, m) => (
              <>
                {m.student ? <Tag color="green">{t("members.student")}</Tag> : null}
                {m.tags.map((tag) => (
                  <Tag key={tag} title={tag}>
                    {labels.tag(tag)}
                  </Tag>
                ))}
              </>
            ),
          },
          {
            title: t("members.balance"),
            key: "balance",
            align: "right",
            sorter: true,
            sortOrder: sort === "balance_asc" ? "ascend" : sort === "balance_desc" ? "descend" : null,
            render: (_, m) =>
              m.balance ? (
                <span
                  title={`${t("members.principal")} ${fmt.money(m.balance.principal)} · ${t("members.bonus")} ${fmt.money(m.balance.bonus)}`}
                >
                  {fmt.money(m.balance.total)}
                </span>
              ) : (
                "—"
              ),
          },
          {
            title: t("members.points"),
            key: "points",
            align: "right",
            render: (_, m) => <PointsCell id={m.id} />,
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Member["status"]) => t(`members.status.${s}`),
          },
          { title: t("members.registeredAt"), dataIndex: "registered_at", render: (v) => fmt.dateTime(v) },
        ]}
      />
    </>
  );
}
