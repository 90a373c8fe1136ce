import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Card, Form, Input, Modal, Table, Tabs, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type CardPlan = components["schemas"]["CardPlan"];
type Label = { id: string; code: string; name: string; created_at: string };

/** A list of groups or of tags, with "create" for those who may. */
function Labels({ kind }: { kind: "member-groups" | "member-tags" }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ code: string; name: string }>();
  const path = `/v1/${kind}` as const;
  const create = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      await unwrap(api.POST(path, { body: v, headers: { "idempotency-key": idempotencyKey() } }));
      setOpen(false);
      form.resetFields();
      await client.invalidateQueries({ queryKey: [kind] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      {can(`POST ${path}`) ? (
        <Button icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => setOpen(true)}>
          {t(kind === "member-groups" ? "segments.createGroup" : "segments.createTag")}
        </Button>
      ) : null}
      <CursorTable<Label>
        queryKey={[kind]}
        fetchPage={(cursor) =>
          unwrap(api.GET(path, { params: { query: cursor } })) as Promise<{
            data: Label[];
            has_more: boolean;
          }>
        }
        columns={[
          { title: t("segments.code"), dataIndex: "code", render: (c) => <Tag>{c}</Tag> },
          { title: t("segments.name"), dataIndex: "name" },
          { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
        ]}
      />
      <Modal
        open={open}
        title={t(kind === "member-groups" ? "segments.createGroup" : "segments.createTag")}
        onOk={create}
        onCancel={() => setOpen(false)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
        destroyOnHidden
      >
        <ProblemAlert error={error} />
        <Form name={kind} form={form} layout="vertical">
          <Form.Item
            name="code"
            label={t("segments.code")}
            rules={[{ required: true, pattern: /^[A-Za-z0-9_.-]+$/ }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="name" label={t("segments.name")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function CardPlans() {
  const { t } = useI18n();
  const plans = useQuery({ queryKey: ["card-plans"], queryFn: () => unwrap(api.GET("/v1/card-plans")) });
  return (
    <>
      <ProblemAlert error={plans.error} />
      <Table<CardPlan>
        rowKey="id"
        loading={plans.isFetching}
        pagination={false}
        dataSource={plans.data?.data ?? []}
        columns={[
          { title: t("segments.name"), dataIndex: "name" },
          { title: t("segments.code"), dataIndex: "code", render: (c) => <Tag>{c}</Tag> },
          {
            title: t("segments.validity"),
            dataIndex: "validity",
            render: (v: CardPlan["validity"]) =>
              v.kind === "permanent" ? t("segments.permanent") : t("segments.days", { days: v.days ?? 0 }),
          },
          {
            title: t("segments.tiers"),
            dataIndex: "tiers",
            render: (tiers: CardPlan["tiers"]) =>
              tiers.map((tier) => (
                <Tag key={tier.id} color="gold">
                  {tier.rank}. {tier.name}
                </Tag>
              )),
          },
        ]}
      />
    </>
  );
}

/** Card plans and tiers, member groups and member tags. */
export default function Segments() {
  const { t } = useI18n();
  return (
    <>
      <Typography.Title level={3}>{t("nav.segments")}</Typography.Title>
      <Card>
        <Tabs
          items={[
            { key: "plans", label: t("segments.cardPlans"), children: <CardPlans /> },
            { key: "groups", label: t("segments.groups"), children: <Labels kind="member-groups" /> },
            { key: "tags", label: t("segments.tags"), children: <Labels kind="member-tags" /> },
          ]}
        />
      </Card>
    </>
  );
}
