import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  DatePicker,
  Descriptions,
  Form,
  Input,
  List,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
} from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { useConfirmedSend } from "../../components/ValueDialog";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { useSession } from "../../session";
import { type DepositAccount, WithAccount } from "./account";

type Profile = components["schemas"]["DepositInvoiceProfile"];
type Address = components["schemas"]["DepositMailAddress"];
type Entry = components["schemas"]["DepositTransaction"];
type InvoiceRequest = components["schemas"]["DepositInvoiceRequest"];

const PROFILE_COLOR: Record<Profile["status"], string> = {
  draft: "default",
  verifying: "processing",
  verified: "green",
  rejected: "red",
};

/** Invoicing: qualification → mailing addresses (≤ 3) → request an invoice → its result. */
export default function DepositInvoicing() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("dep.inv.title")} />
      <WithAccount>
        {(account) => (
          <Tabs
            items={[
              { key: "profile", label: t("dep.inv.profile"), children: <Qualification account={account} /> },
              { key: "addresses", label: t("dep.inv.addresses"), children: <Addresses account={account} /> },
              { key: "request", label: t("dep.inv.request"), children: <RequestInvoice account={account} /> },
              { key: "requests", label: t("dep.inv.requests"), children: <Requests account={account} /> },
            ]}
          />
        )}
      </WithAccount>
    </>
  );
}

export function ProfileStatus({ status }: { status: Profile["status"] }) {
  const { t } = useI18n();
  return <Tag color={PROFILE_COLOR[status]}>{t(`dep.inv.status.${status}` as MessageKey)}</Tag>;
}

function useProfile(accountId: string) {
  return useQuery({
    queryKey: ["deposit-invoice-profile", accountId],
    queryFn: () =>
      unwrap(api.GET("/v1/deposit-accounts/{id}/invoice-profile", { params: { path: { id: accountId } } })),
  });
}

function Qualification({ account }: { account: DepositAccount }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const profile = useProfile(account.id);
  const [error, setError] = useState<unknown>();
  const path = { params: { path: { id: account.id } } };
  const run = async (call: () => Promise<unknown>, done: MessageKey) => {
    setError(undefined);
    try {
      await call();
      message.success(t(done));
      await client.invalidateQueries({ queryKey: ["deposit-invoice-profile", account.id] });
    } catch (e) {
      setError(e);
    }
  };
  const p = profile.data;
  if (!p) return <ProblemAlert error={profile.error} />;
  const editable = can("PUT /v1/deposit-accounts/{id}/invoice-profile") && p.status !== "verifying";
  return (
    <Card>
      <ProblemAlert error={error} />
      <Descriptions size="small" column={2} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("dep.bank.company")}>{p.company_name}</Descriptions.Item>
        <Descriptions.Item label={t("dep.inv.taxRate")}>{`${p.tax_rate_bps / 100}%`}</Descriptions.Item>
        <Descriptions.Item label={t("common.status")}>
          <ProfileStatus status={p.status} />
        </Descriptions.Item>
        {p.reject_reason ? (
          <Descriptions.Item label={t("dep.inv.rejectReason")}>{p.reject_reason}</Descriptions.Item>
        ) : null}
      </Descriptions>
      <Form
        name="qualification"
        layout="vertical"
        style={{ maxWidth: 560 }}
        disabled={!editable}
        initialValues={{
          company_address: p.company_address ?? "",
          company_phone: p.company_phone ?? "",
          bank_name: p.bank_name ?? "",
          bank_account: p.bank_account ?? "",
          tax_id: p.tax_id ?? "",
        }}
        onFinish={(v: Record<string, string>) =>
          run(
            () =>
              unwrap(
                api.PUT("/v1/deposit-accounts/{id}/invoice-profile", {
                  ...path,
                  body: Object.fromEntries(Object.entries(v).filter(([, x]) => x)),
                }),
              ),
            "dep.inv.saved",
          )
        }
      >
        <Form.Item name="company_address" label={t("dep.inv.companyAddress")} rules={[{ required: true }]}>
          <Input maxLength={300} />
        </Form.Item>
        <Form.Item name="company_phone" label={t("dep.inv.companyPhone")} rules={[{ required: true }]}>
          <Input maxLength={30} />
        </Form.Item>
        <Form.Item name="bank_name" label={t("dep.bank.name")} rules={[{ required: true }]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="bank_account" label={t("dep.bank.number")} rules={[{ required: true }]}>
          <Input maxLength={40} />
        </Form.Item>
        <Form.Item name="tax_id" label={t("dep.inv.taxId")} rules={[{ required: true }]}>
          <Input maxLength={20} />
        </Form.Item>
        <Space>
          <Button htmlType="submit">{t("common.save")}</Button>
          {can("POST /v1/deposit-accounts/{id}/invoice-profile/submit") ? (
            <Button
              type="primary"
              onClick={() =>
                run(
                  () =>
                    unwrap(
                      api.POST("/v1/deposit-accounts/{id}/invoice-profile/submit", { ...path, body: {} }),
                    ),
                  "dep.inv.submitted",
                )
              }
            >
              {t("dep.inv.submitForReview")}
            </Button>
          ) : null}
        </Space>
      </Form>
    </Card>
  );
}

function Addresses({ account }: { account: DepositAccount }) {
  const { t } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const path = { params: { path: { id: account.id } } };
  const list = useQuery({
    queryKey: ["deposit-addresses", account.id],
    queryFn: () => unwrap(api.GET("/v1/deposit-accounts/{id}/mail-addresses", path)),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["deposit-addresses", account.id] });
  const add = async (v: { recipient: string; phone: string; address: string }) => {
    setError(undefined);
    try {
      await unwrap(api.POST("/v1/deposit-accounts/{id}/mail-addresses", { ...path, body: v }));
      form.resetFields();
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  const remove = async (addressId: string) => {
    setError(undefined);
    try {
      await unwrap(
        api.DELETE("/v1/deposit-accounts/{id}/mail-addresses/{address_id}", {
          params: { path: { id: account.id, address_id: addressId } },
        }),
      );
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  const manage = can("POST /v1/deposit-accounts/{id}/mail-addresses");
  return (
    <Card>
      <ProblemAlert error={error ?? list.error} />
      <List<Address>
        dataSource={list.data?.data ?? []}
        locale={{ emptyText: t("dep.inv.noAddress") }}
        renderItem={(a) => (
          <List.Item
            actions={
              manage
                ? [
                    <Button key="del" size="small" danger onClick={() => remove(a.id)}>
                      {t("common.delete")}
                    </Button>,
                  ]
                : []
            }
          >
            {`${a.recipient} · ${a.phone} · ${a.address}`}
          </List.Item>
        )}
      />
      {manage ? (
        <Form form={form} name="address" layout="inline" onFinish={add} style={{ marginTop: 16 }}>
          <Form.Item name="recipient" label={t("dep.inv.recipient")} rules={[{ required: true }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="phone" label={t("dep.inv.phone")} rules={[{ required: true }]}>
            <Input maxLength={30} />
          </Form.Item>
          <Form.Item name="address" label={t("dep.inv.address")} rules={[{ required: true }]}>
            <Input maxLength={300} style={{ width: 260 }} />
          </Form.Item>
          <Button htmlType="submit">{t("dep.inv.addAddress")}</Button>
        </Form>
      ) : null}
      <Alert type="info" showIcon title={t("dep.inv.upToThree")} style={{ marginTop: 16 }} />
    </Card>
  );
}

function RequestInvoice({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const { error, confirmThenSend } = useConfirmedSend();
  const [type, setType] = useState<"settle" | "settled_refund" | undefined>();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [all, setAll] = useState(false);
  const [addressId, setAddressId] = useState<string>();
  const filter = {
    ...(type ? { type } : {}),
    ...(range?.[0] ? { created_gte: range[0].startOf("day").toISOString() } : {}),
    ...(range?.[1] ? { created_lt: range[1].add(1, "day").startOf("day").toISOString() } : {}),
  };
  const candidates = useQuery({
    queryKey: ["deposit-invoice-candidates", account.id, filter],
    queryFn: () =>
      unwrap(
        api.GET("/v1/deposit-accounts/{id}/invoice-candidates", {
          params: { path: { id: account.id }, query: { ...filter, limit: 100 } },
        }),
      ),
  });
  const c = candidates.data;
  const address = addressId ?? c?.addresses[0]?.id;
  const submit = () =>
    confirmThenSend(
      t("dep.inv.confirm", { count: c!.count, amount: fmt.money(c!.net_amount) }),
      async (key) => {
        await unwrap(
          api.POST("/v1/deposit-accounts/{id}/invoice-requests", {
            params: { path: { id: account.id } },
            body: { address_id: address!, ...filter },
            headers: { "idempotency-key": key },
          }),
        );
        setAll(false);
        await client.invalidateQueries({ queryKey: ["deposit-invoice-candidates", account.id] });
        await client.invalidateQueries({ queryKey: ["deposit-invoice-requests", account.id] });
      },
    );
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <ProblemAlert error={error ?? candidates.error} />
      {c ? (
        <Card size="small" title={t("dep.inv.check")}>
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t("dep.inv.profile")}>
              {c.profile ? <ProfileStatus status={c.profile.status} /> : "—"}
            </Descriptions.Item>
            <Descriptions.Item label={t("dep.inv.mailTo")}>
              <Select
                style={{ minWidth: 280 }}
                value={address}
                onChange={setAddressId}
                aria-label={t("dep.inv.mailTo")}
                options={c.addresses.map((a) => ({ value: a.id, label: `${a.recipient} · ${a.address}` }))}
              />
            </Descriptions.Item>
          </Descriptions>
        </Card>
      ) : null}
      <Space wrap>
        <Select
          allowClear
          placeholder={t("dep.tx.type")}
          style={{ width: 180 }}
          value={type}
          onChange={(v) => {
            setType(v);
            setAll(false);
          }}
          options={(["settle", "settled_refund"] as const).map((k) => ({
            value: k,
            label: t(`dep.entry.${k}`),
          }))}
        />
        <DatePicker.RangePicker
          value={range}
          onChange={(v) => {
            setRange(v);
            setAll(false);
          }}
        />
      </Space>
      <Table<Entry>
        rowKey="id"
        size="small"
        pagination={false}
        loading={candidates.isFetching}
        dataSource={c?.data ?? []}
        title={() => (
          <Checkbox checked={all} disabled={!c || c.count === 0} onChange={(e) => setAll(e.target.checked)}>
            {t("dep.inv.selectAll", { count: c?.count ?? 0 })}
          </Checkbox>
        )}
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          {
            title: t("dep.tx.type"),
            dataIndex: "type",
            render: (v: string) => t(`dep.entry.${v}` as MessageKey),
          },
          { title: t("dep.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
          { title: t("dep.tx.order"), dataIndex: "order_id", render: (v: string | null) => v ?? "—" },
        ]}
      />
      {c ? (
        <Space>
          <span>
            {t("dep.inv.totals", {
              settled: fmt.money(c.settled_amount),
              refunded: fmt.money(c.refunded_amount),
              net: fmt.money(c.net_amount),
              min: fmt.money(c.min_net_amount),
            })}
          </span>
          {can("POST /v1/deposit-accounts/{id}/invoice-requests") ? (
            <Button type="primary" disabled={!all || !c.allowed || !address} onClick={submit}>
              {t("dep.inv.submit")}
            </Button>
          ) : null}
        </Space>
      ) : null}
    </Space>
  );
}

export function InvoiceStatus({ status }: { status: InvoiceRequest["status"] }) {
  const { t } = useI18n();
  const color = { requested: "processing", issued: "blue", mailed: "green", rejected: "red" }[status];
  return <Tag color={color}>{t(`dep.inv.req.${status}` as MessageKey)}</Tag>;
}

function Requests({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const list = useQuery({
    queryKey: ["deposit-invoice-requests", account.id],
    queryFn: () =>
      unwrap(api.GET("/v1/deposit-accounts/{id}/invoice-requests", { params: { path: { id: account.id } } })),
  });
  return (
    <>
      <ProblemAlert error={list.error} />
      <Table<InvoiceRequest>
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.isFetching}
        dataSource={list.data?.data ?? []}
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          { title: t("dep.inv.net"), dataIndex: "net_amount", render: (v: number) => fmt.money(v) },
          { title: t("dep.inv.count"), dataIndex: "entry_count" },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: InvoiceRequest["status"]) => <InvoiceStatus status={s} />,
          },
          { title: t("dep.inv.number"), dataIndex: "invoice_number", render: (v: string | null) => v ?? "—" },
          {
            title: t("dep.inv.tracking"),
            dataIndex: "tracking_number",
            render: (v: string | null) => v ?? "—",
          },
        ]}
      />
    </>
  );
}
