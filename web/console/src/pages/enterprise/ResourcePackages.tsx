import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Space, Switch, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api, idempotencyKey, type paths, unwrap } from "../../../../api/client";
import { ProblemAlert } from "../../components/problems";
import { useI18n } from "../../i18n/i18n";
import { usePartnerUnit } from "../../portals";
import { useSession } from "../../session";
import { type MemberAccount, useMemberAccounts } from "./members";

type Holding =
  paths["/v1/enterprises/{id}/resource-packages"]["get"]["responses"][200]["content"]["application/json"]["data"][number];

/** The seed: batch enable or disable at most 100 accounts at a time. */
export const BATCH_LIMIT = 100;

/** Resource Packages tab: the sharing switch, the accounts with theirs, the packages left. */
export default function ResourcePackages() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const unit = usePartnerUnit();
  const accounts = useMemberAccounts(unit.id);
  const [selected, setSelected] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const mayManage = can("POST /v1/enterprises/{id}/sharing");
  const sharing = useQuery({
    queryKey: ["enterprise-sharing", unit.id],
    queryFn: () => unwrap(api.GET("/v1/enterprises/{id}/sharing", { params: { path: { id: unit.id } } })),
  });
  const packages = useQuery({
    queryKey: ["enterprise-packages", unit.id],
    queryFn: () =>
      unwrap(
        api.GET("/v1/enterprises/{id}/resource-packages", {
          params: { path: { id: unit.id }, query: { limit: 100 } },
        }),
      ),
  });
  const act = async (work: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setBusy(true);
    try {
      await work();
      message.success(done);
      await client.invalidateQueries({ queryKey: ["enterprise-members"] });
      await client.invalidateQueries({ queryKey: ["enterprise-sharing"] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const switchGlobal = (enabled: boolean) =>
    act(
      () =>
        unwrap(
          api.POST("/v1/enterprises/{id}/sharing", { params: { path: { id: unit.id } }, body: { enabled } }),
        ),
      t(enabled ? "ent.sharing.on" : "ent.sharing.off"),
    );
  const batch = (enabled: boolean) =>
    act(
      async () => {
        await unwrap(
          api.POST("/v1/enterprises/{id}/members/sharing", {
            params: { path: { id: unit.id } },
            body: { member_ids: selected, enabled },
          }),
        );
        setSelected([]);
      },
      t("ent.batch.done", { count: selected.length }),
    );
  const one = (row: MemberAccount, enabled: boolean) =>
    act(
      () =>
        unwrap(
          api.POST("/v1/enterprise-members/{id}/sharing", {
            params: { path: { id: row.id } },
            body: { enabled },
          }),
        ),
      t(enabled ? "ent.member.enabled" : "ent.member.disabled", { name: row.name }),
    );
  const associate = (row: MemberAccount) =>
    act(
      () =>
        unwrap(
          api.POST("/v1/enterprises/{id}/members", {
            params: { path: { id: unit.id } },
            headers: { "idempotency-key": idempotencyKey() },
            body: { member_id: row.id },
          }),
        ),
      t("ent.member.associated", { name: row.name }),
    );
  return (
    <>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Space align="start" size="large">
          <Space>
            <Switch
              aria-label={t("ent.sharing.switch")}
              checked={sharing.data?.enabled ?? false}
              loading={sharing.isPending || busy}
              disabled={!mayManage}
              onChange={switchGlobal}
            />
            <Typography.Text strong>{t("ent.sharing.switch")}</Typography.Text>
          </Space>
          <Typography.Text type="secondary">{t("ent.sharing.note")}</Typography.Text>
        </Space>
      </Card>
      <ProblemAlert error={error ?? accounts.error} />
      <Space style={{ marginBottom: 12 }}>
        <Button disabled={!mayManage || selected.length === 0} loading={busy} onClick={() => batch(true)}>
          {t("ent.batch.enable")}
        </Button>
        <Button disabled={!mayManage || selected.length === 0} loading={busy} onClick={() => batch(false)}>
          {t("ent.batch.disable")}
        </Button>
        <Typography.Text data-testid="selected-count">
          {t("ent.batch.selected", { count: selected.length, limit: BATCH_LIMIT })}
        </Typography.Text>
      </Space>
      {selected.length > BATCH_LIMIT ? (
        <Alert
          type="warning"
          showIcon
          title={t("ent.batch.tooMany", { limit: BATCH_LIMIT })}
          style={{ marginBottom: 12 }}
        />
      ) : null}
      <Table<MemberAccount>
        rowKey="id"
        size="small"
        loading={accounts.pending}
        dataSource={accounts.rows}
        rowSelection={{
          selectedRowKeys: selected,
          preserveSelectedRowKeys: true,
          onChange: (keys) => setSelected(keys as string[]),
          getCheckboxProps: (row) => ({ disabled: !row.member, "aria-label": row.name }),
        }}
        pagination={{ defaultPageSize: 20, pageSizeOptions: [20, 50, 100], showSizeChanger: true }}
        columns={[
          { title: t("ent.account"), dataIndex: "name" },
          { title: t("ent.accountId"), dataIndex: "id" },
          {
            title: t("ent.sharing"),
            key: "sharing",
            render: (_, row) =>
              !row.member ? (
                <Tag>{t("ent.member.notAssociated")}</Tag>
              ) : row.member.sharing_enabled ? (
                <Tag color="green">{t("ent.enabled")}</Tag>
              ) : (
                <Tag>{t("ent.disabled")}</Tag>
              ),
          },
          {
            title: t("ent.associatedAt"),
            key: "associated",
            render: (_, row) => fmt.dateTime(row.member?.associated_at),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, row) =>
              !mayManage ? null : !row.member ? (
                <Button size="small" type="link" onClick={() => associate(row)}>
                  {t("ent.member.associate")}
                </Button>
              ) : (
                <Button size="small" type="link" onClick={() => one(row, !row.member!.sharing_enabled)}>
                  {row.member.sharing_enabled ? t("ent.disable") : t("ent.enable")}
                </Button>
              ),
          },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t("ent.packages")}
      </Typography.Title>
      <ProblemAlert error={packages.error} />
      <Table<Holding>
        rowKey="id"
        size="small"
        loading={packages.isPending}
        dataSource={packages.data?.data ?? []}
        pagination={false}
        columns={[
          { title: t("ent.package.id"), dataIndex: "id" },
          { title: t("ent.package.product"), dataIndex: "product_code" },
          {
            title: t("ent.package.total"),
            key: "total",
            render: (_, p) => `${fmt.number(p.total_quantity)} ${p.unit}`,
          },
          {
            title: t("ent.package.remaining"),
            key: "remaining",
            render: (_, p) => `${fmt.number(p.remaining_quantity)} ${p.unit}`,
          },
          {
            title: t("ent.package.validity"),
            key: "validity",
            render: (_, p) => `${fmt.date(p.starts_at)} ~ ${fmt.date(p.expires_at)}`,
          },
          {
            title: t("common.status"),
            dataIndex: "active",
            render: (a: boolean) => (
              <Tag color={a ? "green" : "default"}>
                {t(a ? "ent.package.active" : "ent.package.inactive")}
              </Tag>
            ),
          },
        ]}
      />
    </>
  );
}
