import { useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Form, Modal, Tag, Tree, TreeSelect, Typography } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { useOrgUnits } from "../components/orgUnits";
import { ProblemAlert } from "../components/problems";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { StoreGroups } from "./StoreGroups";

type OrgUnit = components["schemas"]["OrgUnit"];
interface Node {
  key: string;
  value: string;
  title: React.ReactNode;
  children: Node[];
}

function treeOf(rows: OrgUnit[], title: (u: OrgUnit) => React.ReactNode): Node[] {
  const byId = new Map<string, Node>();
  for (const u of rows) byId.set(u.id, { key: u.id, value: u.id, title: title(u), children: [] });
  const roots: Node[] = [];
  for (const u of rows) {
    const node = byId.get(u.id)!;
    const parent = u.parent_id ? byId.get(u.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Moves a unit with its subtree under another parent, after a confirmation. */
function MoveDialog(props: { unit?: OrgUnit; units: OrgUnit[]; onClose(): void }) {
  const { t } = useI18n();
  const { modal, message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ parent_id: string }>();
  const [error, setError] = useState<unknown>();
  const { unit } = props;
  const close = () => {
    setError(undefined);
    form.resetFields();
    props.onClose();
  };
  const submit = async () => {
    const { parent_id } = await form.validateFields();
    const parent = props.units.find((u) => u.id === parent_id);
    modal.confirm({
      title: t("org.moveConfirm", { name: unit!.name, parent: parent?.name ?? parent_id }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      onOk: async () => {
        setError(undefined);
        try {
          await unwrap(
            api.POST("/v1/org-units/{id}/move", {
              params: { path: { id: unit!.id } },
              body: { parent_id },
              headers: { "idempotency-key": idempotencyKey() },
            }),
          );
          message.success(t("org.moved"));
          await client.invalidateQueries({ queryKey: ["org-units"] });
          close();
        } catch (e) {
          setError(e);
        }
      },
    });
  };
  // The API refuses a move under the unit's own subtree; the console shows its reason.
  const targets = treeOf(
    props.units.filter((u) => u.id !== unit?.id),
    (u) => u.name,
  );
  return (
    <Modal
      open={Boolean(unit)}
      destroyOnHidden
      title={t("org.moveTitle", { name: unit?.name ?? "" })}
      onOk={submit}
      onCancel={close}
      okText={t("org.move")}
      cancelText={t("common.cancel")}
    >
      <ProblemAlert error={error} />
      <Form name="org-move" form={form} layout="vertical">
        <Form.Item name="parent_id" label={t("org.newParent")} rules={[{ required: true }]}>
          {/* Searchable: the list shows some ten units at a time, and a tenant may have hundreds. */}
          <TreeSelect treeData={targets} treeDefaultExpandAll showSearch treeNodeFilterProp="title" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The org tree the user may see, moving units, and the store groups. */
export default function OrgUnits() {
  const { t } = useI18n();
  const { can } = useSession();
  const units = useOrgUnits();
  const [moving, setMoving] = useState<OrgUnit>();
  const rows = units.data ?? [];
  const mayMove = can("POST /v1/org-units/{id}/move");
  const roots = treeOf(rows, (u) => (
    <span data-testid="org-unit" data-unit={u.name}>
      {u.name} <Tag>{t(`org.kind.${u.kind}` as MessageKey)}</Tag>
      {u.code ? <Typography.Text type="secondary">{u.code}</Typography.Text> : null}
      {mayMove && u.parent_id ? (
        <Button
          size="small"
          type="link"
          onClick={() => setMoving(u)}
          aria-label={t("org.moveTitle", { name: u.name })}
        >
          {t("org.move")}
        </Button>
      ) : null}
    </span>
  ));
  return (
    <>
      <Typography.Title level={3}>{t("nav.org")}</Typography.Title>
      <ProblemAlert error={units.error} />
      <Card loading={units.isPending} style={{ marginBottom: 16 }}>
        {rows.length > 0 ? (
          <Tree
            // A new shape (after a move) draws afresh, so every unit shows under its new parent.
            key={rows.map((u) => `${u.id}:${u.parent_id}`).join()}
            treeData={roots}
            defaultExpandAll
            selectable={false}
          />
        ) : null}
      </Card>
      <StoreGroups units={rows} />
      <MoveDialog unit={moving} units={rows} onClose={() => setMoving(undefined)} />
    </>
  );
}
