import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Form, Input, Modal, Select, Space, Tag } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { fetchAllUnits } from "../components/orgUnits";
import { PageHeader } from "../components/Page";
import { ProblemAlert } from "../components/problems";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { ROLES } from "./ApiKeys";

type User = components["schemas"]["User"];

export default function Users() {
  const { t, fmt } = useI18n();
  const { user: me, can } = useSession();
  // A scoped user is shown with the name of the unit they work in; its id says nothing to a person.
  const units = useQuery({
    queryKey: ["org-units"],
    queryFn: fetchAllUnits,
    enabled: can("GET /v1/org-units"),
  });
  const unitName = (id: string) => units.data?.find((u) => u.id === id)?.name ?? id;
  const client = useQueryClient();
  const { filters, setFilters } = useUrlFilters(["role"] as const);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ email: string; name: string; password: string; role: User["role"] }>();
  const create = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      await unwrap(api.POST("/v1/users", { body: v, headers: { "idempotency-key": idempotencyKey() } }));
      setCreating(false);
      form.resetFields();
      await client.invalidateQueries({ queryKey: ["users"] });
    } catch (e) {
      setError(e);
    }
  };
  const roleOptions = ROLES.filter((r) => r !== "owner" || me.role === "owner").map((r) => ({
    value: r,
    label: t(`role.${r}`),
  }));
  return (
    <>
      <PageHeader
        title={t("nav.users")}
        extra={
          <Space>
            <Select
              aria-label={t("users.role")}
              allowClear
              placeholder={t("users.role")}
              style={{ width: 140 }}
              value={filters.role}
              onChange={(role) => setFilters({ role })}
              options={roleOptions}
            />
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t("users.create")}
            </Button>
          </Space>
        }
      />
      <CursorTable<User>
        queryKey={["users", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/users", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          { title: t("users.name"), dataIndex: "name" },
          { title: t("signIn.email"), dataIndex: "email" },
          { title: t("users.role"), dataIndex: "role", render: (r) => t(`role.${r}` as MessageKey) },
          {
            title: t("users.orgUnit"),
            dataIndex: "org_unit_id",
            render: (v: string | null) => (v ? unitName(v) : t("users.wholeTenant")),
          },
          {
            title: t("common.status"),
            key: "status",
            render: (_, u) =>
              u.disabled_at ? (
                <Tag>{t("users.disabled")}</Tag>
              ) : u.locked_until ? (
                <Tag color="red">{t("users.locked")}</Tag>
              ) : (
                <Tag color="green">{t("users.active")}</Tag>
              ),
          },
          { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
        ]}
      />
      <Modal
        open={creating}
        title={t("users.create")}
        onOk={create}
        onCancel={() => setCreating(false)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
      >
        <ProblemAlert error={error} />
        <Form name="user-create" form={form} layout="vertical" initialValues={{ role: "operator" }}>
          <Form.Item name="email" label={t("signIn.email")} rules={[{ required: true, type: "email" }]}>
            <Input />
          </Form.Item>
          <Form.Item name="name" label={t("users.name")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="password" label={t("signIn.password")} rules={[{ required: true, min: 8 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="role" label={t("users.role")} rules={[{ required: true }]}>
            <Select options={roleOptions} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
