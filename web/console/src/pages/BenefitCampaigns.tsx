import { useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Checkbox, Drawer, Form, Input, Select, Space, Switch, Table } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { ProblemAlert, useProblemText } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type Campaign = components["schemas"]["BenefitCampaign"];
type CampaignKind = Campaign["kind"];

/** The campaigns of one kind a benefit may link (promotional: member-exclusive only), first 100. */
export function useLinkableCampaigns(kind: CampaignKind | undefined) {
  return useQuery({
    queryKey: ["benefit-campaigns", "linkable", kind],
    enabled: kind !== undefined,
    queryFn: () =>
      unwrap(
        api.GET("/v1/benefit-campaigns", {
          params: {
            query: { kind: kind!, limit: 100, ...(kind === "promotional" ? { member_exclusive: true } : {}) },
          },
        }),
      ),
  });
}

/** Seed 001 §2.1: the campaign registry, with the Member-Exclusive Benefit option. */
export function BenefitCampaigns(props: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const [form] = Form.useForm<{ name: string; kind: CampaignKind; member_exclusive?: boolean }>();
  const [error, setError] = useState<unknown>();
  const list = useQuery({
    queryKey: ["benefit-campaigns", "all"],
    enabled: props.open,
    queryFn: () => unwrap(api.GET("/v1/benefit-campaigns", { params: { query: { limit: 100 } } })),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["benefit-campaigns"] });
  const create = async () => {
    setError(undefined);
    try {
      const v = await form.validateFields();
      await unwrap(
        api.POST("/v1/benefit-campaigns", {
          body: { name: v.name, kind: v.kind, member_exclusive: v.member_exclusive ?? false },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      message.success(t("campaigns.created"));
      form.resetFields();
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  const setExclusive = async (c: Campaign, member_exclusive: boolean) => {
    try {
      await unwrap(
        api.PATCH("/v1/benefit-campaigns/{id}", {
          params: { path: { id: c.id } },
          body: { member_exclusive },
        }),
      );
      await refresh();
    } catch (e) {
      message.error(problemText(e));
    }
  };
  const manage = can("POST /v1/benefit-campaigns");
  return (
    <Drawer open={props.open} onClose={props.onClose} title={t("campaigns.title")} size={720} destroyOnHidden>
      {manage ? (
        <>
          <ProblemAlert error={error} />
          <Form form={form} name="campaign-create" layout="inline" initialValues={{ kind: "promotional" }}>
            <Form.Item name="name" label={t("campaigns.name")} rules={[{ required: true, max: 100 }]}>
              <Input style={{ width: 200 }} />
            </Form.Item>
            <Form.Item name="kind" label={t("campaigns.kind")}>
              <Select
                style={{ width: 120 }}
                options={(["marketing", "promotional"] as const).map((k) => ({
                  value: k,
                  label: t(`campaigns.kind.${k}`),
                }))}
              />
            </Form.Item>
            <Form.Item name="member_exclusive" valuePropName="checked">
              <Checkbox>{t("campaigns.memberExclusive")}</Checkbox>
            </Form.Item>
            <Button type="primary" onClick={create}>
              {t("campaigns.create")}
            </Button>
          </Form>
        </>
      ) : null}
      <ProblemAlert error={list.error} />
      <Table<Campaign>
        style={{ marginTop: 16 }}
        rowKey="id"
        size="small"
        loading={list.isFetching}
        dataSource={list.data?.data ?? []}
        pagination={false}
        columns={[
          { title: t("campaigns.name"), dataIndex: "name" },
          {
            title: t("campaigns.kind"),
            dataIndex: "kind",
            render: (k: CampaignKind) => t(`campaigns.kind.${k}`),
          },
          {
            title: t("campaigns.memberExclusive"),
            key: "member_exclusive",
            render: (_, c) => (
              <Space>
                <Switch
                  size="small"
                  aria-label={`${t("campaigns.memberExclusive")} ${c.name}`}
                  checked={c.member_exclusive}
                  disabled={!can("PATCH /v1/benefit-campaigns/{id}")}
                  onChange={(on) => setExclusive(c, on)}
                />
              </Space>
            ),
          },
          { title: "ID", dataIndex: "id" },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
        ]}
      />
    </Drawer>
  );
}
