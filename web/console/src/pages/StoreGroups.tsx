import { PlusOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Form, Input, Modal, Select, Space, Tag } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { useConfirmedAction } from "../components/confirmed-action";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type OrgUnit = components["schemas"]["OrgUnit"];
type StoreGroup = components["schemas"]["StoreGroup"];
interface Draft {
  name: string;
  store_ids: string[];
}

/** Store groups: named sets of stores that benefits and plans can be scoped to. */
export function StoreGroups({ units }: { units: OrgUnit[] }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const confirmed = useConfirmedAction();
  const client = useQueryClient();
  const [editing, setEditing] = useState<StoreGroup | "new">();
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<Draft>();
  const names = new Map(units.map((u) => [u.id, u.name]));
  const stores = units.filter((u) => u.kind === "store").map((u) => ({ value: u.id, label: u.name }));
  const open = (group: StoreGroup | "new") => {
    setError(undefined);
    form.setFieldsValue(group === "new" ? { name: "", store_ids: [] } : group);
    setEditing(group);
  };
  const save = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      if (editing === "new") {
        await unwrap(
          api.POST("/v1/store-groups", { body: v, headers: { "idempotency-key": idempotencyKey() } }),
        );
      } else if (editing) {
        await unwrap(api.PATCH("/v1/store-groups/{id}", { params: { path: { id: editing.id } }, body: v }));
      }
      message.success(t("settings.saved"));
      setEditing(undefined);
      await client.invalidateQueries({ queryKey: ["store-groups"] });
    } catch (e) {
      setError(e);
    }
  };
  const remove = (g: StoreGroup) =>
    confirmed({
      title: t("storeGroups.deleteConfirm", { name: g.name }),
      run: () => unwrap(api.DELETE("/v1/store-groups/{id}", { params: { path: { id: g.id } } })),
      done: t("storeGroups.deleted"),
      queryKey: ["store-groups"],
    });
  const mayManage = can("POST /v1/store-groups");
  return (
    <Card
      title={t("storeGroups.title")}
      extra={
        mayManage ? (
          <Button icon={<PlusOutlined />} onClick={() => open("new")}>
            {t("storeGroups.create")}
          </Button>
        ) : null
      }
    >
      <CursorTable<StoreGroup>
        queryKey={["store-groups"]}
        fetchPage={(cursor) => unwrap(api.GET("/v1/store-groups", { params: { query: cursor } }))}
        columns={[
          { title: t("storeGroups.name"), dataIndex: "name" },
          {
            title: t("storeGroups.stores"),
            dataIndex: "store_ids",
            render: (ids: string[]) => ids.map((id) => <Tag key={id}>{names.get(id) ?? id}</Tag>),
          },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, g) =>
              mayManage ? (
                <Space>
                  <Button size="small" onClick={() => open(g)}>
                    {t("common.edit")}
                  </Button>
                  <Button size="small" danger onClick={() => remove(g)}>
                    {t("common.delete")}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <Modal
        open={Boolean(editing)}
        title={editing === "new" ? t("storeGroups.create") : t("storeGroups.edit")}
        onOk={save}
        onCancel={() => setEditing(undefined)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
        forceRender
      >
        <ProblemAlert error={error} />
        <Form name="store-group" form={form} layout="vertical">
          <Form.Item name="name" label={t("storeGroups.name")} rules={[{ required: true, max: 200 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="store_ids" label={t("storeGroups.stores")}>
            <Select mode="multiple" options={stores} optionFilterProp="label" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
