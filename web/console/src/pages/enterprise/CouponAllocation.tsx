import { useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Drawer, Form, Input, Modal, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type paths, unwrap } from "../../../../api/client";
import { CursorTable } from "../../components/CursorTable";
import { readAll, useKeyedSend } from "../../components/partner-data";
import { ProblemAlert } from "../../components/problems";
import { refreshQueries } from "../../components/refreshQueries";
import { useAmountRule } from "../../components/ValueDialog";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { usePartnerUnit } from "../../portals";
import { useSession } from "../../session";
import { useMemberAccounts } from "./members";

type Coupon =
  paths["/v1/enterprises/{id}/coupons"]["get"]["responses"][200]["content"]["application/json"]["data"][number];
type CouponRecord =
  paths["/v1/enterprises/{id}/coupon-records"]["get"]["responses"][200]["content"]["application/json"]["data"][number];

/** Coupon Allocation tab: the master's cash coupons; Allocate, Revoke and History. */
export default function CouponAllocation() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const unit = usePartnerUnit();
  const [allocating, setAllocating] = useState<Coupon>();
  const [revoking, setRevoking] = useState<Coupon>();
  const [history, setHistory] = useState<{ coupon?: Coupon }>();
  const coupons = useQuery({
    queryKey: ["enterprise-coupons", unit.id],
    queryFn: () =>
      readAll(
        (cursor) =>
          unwrap(
            api.GET("/v1/enterprises/{id}/coupons", { params: { path: { id: unit.id }, query: cursor } }),
          ),
        (c) => c.id,
      ),
  });
  const mayManage = can("POST /v1/enterprise-coupons/{id}/allocations");
  return (
    <>
      <Space style={{ justifyContent: "space-between", width: "100%", marginBottom: 12 }}>
        <Typography.Text type="secondary">{t("ent.coupons.intro")}</Typography.Text>
        <Button onClick={() => setHistory({})}>{t("partner.history")}</Button>
      </Space>
      <ProblemAlert error={coupons.error} />
      <Table<Coupon>
        rowKey="id"
        size="middle"
        loading={coupons.isPending}
        dataSource={coupons.data ?? []}
        pagination={false}
        columns={[
          { title: t("ent.coupon.id"), dataIndex: "id" },
          {
            title: t("ent.coupon.mode"),
            dataIndex: "allocation_mode",
            render: (m: string) => t(`ent.coupon.mode.${m}` as MessageKey),
          },
          { title: t("ent.coupon.face"), key: "face", render: (_, c) => fmt.money(c.face_value.amount) },
          {
            title: t("ent.coupon.balance"),
            dataIndex: "balance",
            render: (b: number, c) => <span data-testid={`coupon-balance-${c.id}`}>{fmt.money(b)}</span>,
          },
          {
            title: t("ent.coupon.validity"),
            key: "validity",
            render: (_, c) => `${fmt.date(c.starts_at)} ~ ${fmt.date(c.expires_at)}`,
          },
          {
            title: t("ent.coupon.products"),
            key: "scope",
            render: (_, c) =>
              c.scope.kind === "all"
                ? t("partner.scope.all")
                : `${t(`partner.scope.${c.scope.kind}` as MessageKey)}: ${c.scope.product_codes.join(", ")}`,
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, c) => (
              <Space size={0}>
                {mayManage ? (
                  <>
                    <Button size="small" type="link" onClick={() => setAllocating(c)}>
                      {t("ent.allocate")}
                    </Button>
                    <Button size="small" type="link" onClick={() => setRevoking(c)}>
                      {t("ent.revoke")}
                    </Button>
                  </>
                ) : null}
                <Button size="small" type="link" onClick={() => setHistory({ coupon: c })}>
                  {t("partner.history")}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {allocating ? <AllocateDialog coupon={allocating} onClose={() => setAllocating(undefined)} /> : null}
      {revoking ? <RevokeDialog coupon={revoking} onClose={() => setRevoking(undefined)} /> : null}
      <Drawer
        open={Boolean(history)}
        size="large"
        title={history?.coupon ? t("ent.history.of", { id: history.coupon.id }) : t("ent.history.all")}
        onClose={() => setHistory(undefined)}
      >
        {history ? <History couponId={history.coupon?.id} /> : null}
      </Drawer>
    </>
  );
}

function History(props: { couponId?: string }) {
  const { t, fmt } = useI18n();
  const unit = usePartnerUnit();
  const accounts = useMemberAccounts(unit.id);
  const name = (id: string) => accounts.rows.find((r) => r.id === id)?.name ?? id;
  return (
    <CursorTable<CouponRecord>
      queryKey={["coupon-records", unit.id, props.couponId]}
      fetchPage={(cursor) =>
        unwrap(
          api.GET("/v1/enterprises/{id}/coupon-records", {
            params: { path: { id: unit.id }, query: { ...cursor, coupon_id: props.couponId } },
          }),
        )
      }
      columns={[
        { title: t("common.time"), dataIndex: "created_at", render: (d: string) => fmt.dateTime(d) },
        { title: t("ent.coupon.id"), dataIndex: "coupon_id" },
        { title: t("ent.account"), dataIndex: "member_id", render: name },
        {
          title: t("ent.record.kind"),
          dataIndex: "kind",
          render: (k: string) => (
            <Tag color={k === "allocation" ? "blue" : "orange"}>{t(`ent.record.${k}` as MessageKey)}</Tag>
          ),
        },
        { title: t("ent.record.amount"), dataIndex: "amount", render: (a: number) => fmt.money(a) },
      ]}
    />
  );
}

/** A member's allocated cash coupons, shown beside it in the Allocate dialog. */
function HeldCoupons(props: { memberId: string }) {
  const { t, fmt } = useI18n();
  const held = useQuery({
    queryKey: ["held-coupons", props.memberId],
    queryFn: () =>
      readAll(
        (cursor) =>
          unwrap(
            api.GET("/v1/enterprise-members/{id}/coupons", {
              params: { path: { id: props.memberId }, query: cursor },
            }),
          ),
        (v) => v.voucher_id,
      ),
  });
  return (
    <Table
      rowKey="voucher_id"
      size="small"
      loading={held.isPending}
      dataSource={held.data ?? []}
      pagination={false}
      locale={{ emptyText: t("ent.held.none") }}
      columns={[
        { title: t("ent.coupon.id"), dataIndex: "coupon_id" },
        { title: t("ent.coupon.face"), dataIndex: "face_amount", render: (a: number) => fmt.money(a) },
        { title: t("ent.coupon.balance"), dataIndex: "balance", render: (a: number) => fmt.money(a) },
        {
          title: t("common.status"),
          dataIndex: "status",
          render: (s: string) => t(`partner.status.${s}` as MessageKey),
        },
      ]}
    />
  );
}

function AllocateDialog(props: { coupon: Coupon; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const unit = usePartnerUnit();
  const accounts = useMemberAccounts(unit.id);
  const amountRule = useAmountRule();
  const [members, setMembers] = useState<string[]>([]);
  const [details, setDetails] = useState<string>();
  const [form] = Form.useForm<Record<string, string>>();
  const { error, send } = useKeyedSend();
  const name = (id: string) => accounts.rows.find((r) => r.id === id)?.name ?? id;
  const submit = async () => {
    const values = await form.validateFields();
    if (members.length === 0) return;
    await send(async (key) => {
      await unwrap(
        api.POST("/v1/enterprise-coupons/{id}/allocations", {
          params: { path: { id: props.coupon.id } },
          headers: { "idempotency-key": key },
          body: { allocations: members.map((m) => ({ member_id: m, amount: fmt.toMinor(values[m]!)! })) },
        }),
      );
      message.success(t("ent.allocated"));
      await refreshQueries(client, ["enterprise-coupons", "coupon-records", "held-coupons"]);
      props.onClose();
    });
  };
  return (
    <Modal
      open
      width={680}
      title={t("ent.allocateTitle", { id: props.coupon.id })}
      okText={t("common.confirm")}
      cancelText={t("common.cancel")}
      onOk={submit}
      onCancel={props.onClose}
    >
      <ProblemAlert error={error} />
      <Typography.Paragraph type="secondary">
        {t("ent.allocate.balance", { amount: fmt.money(props.coupon.balance) })}
      </Typography.Paragraph>
      <Select
        mode="multiple"
        aria-label={t("ent.allocate.members")}
        placeholder={t("ent.allocate.members")}
        style={{ width: "100%", marginBottom: 16 }}
        value={members}
        onChange={setMembers}
        optionFilterProp="label"
        options={accounts.associated.map((r) => ({ value: r.id, label: r.name }))}
      />
      <Form form={form} layout="horizontal" name="allocate-coupon" labelCol={{ span: 8 }}>
        {members.map((m) => (
          <div key={m}>
            <Form.Item label={name(m)} required>
              <Space>
                <Form.Item
                  name={m}
                  noStyle
                  rules={[{ required: true, message: t("common.badAmount") }, amountRule]}
                >
                  <Input
                    prefix={fmt.currency}
                    aria-label={t("ent.allocate.amountFor", { name: name(m) })}
                    style={{ width: 180 }}
                  />
                </Form.Item>
                <Button onClick={() => setDetails(details === m ? undefined : m)}>
                  {t("ent.allocate.details")}
                </Button>
              </Space>
            </Form.Item>
            {details === m ? <HeldCoupons memberId={m} /> : null}
          </div>
        ))}
      </Form>
    </Modal>
  );
}

function RevokeDialog(props: { coupon: Coupon; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const unit = usePartnerUnit();
  const accounts = useMemberAccounts(unit.id);
  const [member, setMember] = useState<string>();
  const [vouchers, setVouchers] = useState<string[]>();
  const { error, send } = useKeyedSend();
  const revocable = useQuery({
    queryKey: ["coupon-revocable", props.coupon.id, member],
    enabled: Boolean(member),
    queryFn: () =>
      unwrap(
        api.GET("/v1/enterprise-coupons/{id}/revocable", {
          params: { path: { id: props.coupon.id }, query: { member_id: member! } },
        }),
      ),
  });
  const rows = revocable.data?.vouchers ?? [];
  const chosen = vouchers ?? rows.filter((v) => v.recoverable > 0).map((v) => v.voucher_id);
  const recoverable = rows
    .filter((v) => chosen.includes(v.voucher_id))
    .reduce((s, v) => s + v.recoverable, 0);
  const submit = async () => {
    if (!member || chosen.length === 0) return;
    await send(async (key) => {
      const result = await unwrap(
        api.POST("/v1/enterprise-coupons/{id}/revocations", {
          params: { path: { id: props.coupon.id } },
          headers: { "idempotency-key": key },
          body: { member_id: member, voucher_ids: chosen },
        }),
      );
      message.success(t("ent.revoked", { amount: fmt.money(result.revoked_amount) }));
      await refreshQueries(client, [
        "enterprise-coupons",
        "coupon-records",
        "held-coupons",
        "coupon-revocable",
      ]);
      props.onClose();
    });
  };
  return (
    <Modal
      open
      width={640}
      title={t("ent.revokeTitle", { id: props.coupon.id })}
      okText={t("common.confirm")}
      cancelText={t("common.cancel")}
      okButtonProps={{ disabled: !member || chosen.length === 0 }}
      onOk={submit}
      onCancel={props.onClose}
    >
      <ProblemAlert error={error ?? revocable.error} />
      <Select
        aria-label={t("ent.revoke.member")}
        placeholder={t("ent.revoke.member")}
        style={{ width: "100%", marginBottom: 16 }}
        value={member}
        onChange={(m) => {
          setMember(m);
          setVouchers(undefined);
        }}
        options={accounts.associated.map((r) => ({ value: r.id, label: r.name }))}
      />
      {member ? (
        <>
          <Table
            rowKey="voucher_id"
            size="small"
            loading={revocable.isPending}
            dataSource={rows}
            pagination={false}
            rowSelection={{
              selectedRowKeys: chosen,
              onChange: (keys) => setVouchers(keys as string[]),
              getCheckboxProps: (v) => ({ disabled: v.recoverable === 0 }),
            }}
            columns={[
              { title: t("ent.held.voucher"), dataIndex: "voucher_id" },
              { title: t("ent.coupon.face"), dataIndex: "face_amount", render: (a: number) => fmt.money(a) },
              {
                title: t("common.status"),
                dataIndex: "status",
                render: (s: string) => t(`partner.status.${s}` as MessageKey),
              },
              {
                title: t("ent.revoke.recoverable"),
                dataIndex: "recoverable",
                render: (a: number) => fmt.money(a),
              },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }} data-testid="recoverable-amount">
            {t("ent.revoke.total", { amount: fmt.money(recoverable) })}
          </Typography.Title>
        </>
      ) : null}
    </Modal>
  );
}
