import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Statistic,
  Tag,
  Typography,
} from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { api, type paths, unwrap } from "../../../../api/client";
import { CursorTable, useUrlFilters } from "../../components/CursorTable";
import { FilterBar, PageHeader } from "../../components/Page";
import { useKeyedSend, useUnitsBelow } from "../../components/partner-data";
import { ProblemAlert } from "../../components/problems";
import { refreshQueries } from "../../components/refreshQueries";
import { useAmountRule } from "../../components/ValueDialog";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { usePartnerUnit } from "../../portals";
import { useSession } from "../../session";

export type Template =
  paths["/v1/voucher-templates/{id}"]["get"]["responses"][200]["content"]["application/json"];
type Scope = Template["scope"]["kind"];
const SCOPES: Scope[] = ["all", "allow", "deny"];

/** The reseller's quota in the tenant's currency: what it can still issue. */
export function useQuota() {
  const { fmt } = useI18n();
  const unit = usePartnerUnit();
  return useQuery({
    queryKey: ["voucher-quotas", unit.id],
    queryFn: async () => {
      const page = await unwrap(
        api.GET("/v1/voucher-quotas", { params: { query: { reseller_id: unit.id } } }),
      );
      return page.data.find((q) => q.asset === fmt.currency);
    },
  });
}

/** Customer Voucher Issuance (seed 002): the reseller's templates, Create Template, Issue. */
export default function Issuance() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { filters, setFilters } = useUrlFilters(["name", "scope_kind"] as const);
  const quota = useQuota();
  const [creating, setCreating] = useState(false);
  const [issuing, setIssuing] = useState<Template>();
  const mayManage = can("POST /v1/voucher-templates");
  return (
    <>
      <PageHeader
        title={t("nav.voucherIssuance")}
        extra={
          <Space size="large">
            <Statistic
              data-testid="quota-available"
              title={t("partner.quota.available")}
              value={quota.data ? fmt.money(quota.data.available) : t("partner.quota.none")}
            />
            {mayManage ? (
              <Button type="primary" onClick={() => setCreating(true)}>
                {t("partner.template.create")}
              </Button>
            ) : null}
          </Space>
        }
      />
      <Typography.Paragraph type="secondary">{t("partner.issuance.intro")}</Typography.Paragraph>
      <FilterBar<{ name?: string; scope_kind?: string }>
        name="template-filters"
        initialValues={filters}
        onSearch={(v) => setFilters(v)}
      >
        <Form.Item name="name" label={t("partner.template.name")}>
          <Input allowClear style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="scope_kind" label={t("partner.template.scope")}>
          <Select
            allowClear
            style={{ width: 200 }}
            options={SCOPES.map((s) => ({ value: s, label: t(`partner.scope.${s}` as MessageKey) }))}
          />
        </Form.Item>
      </FilterBar>
      <CursorTable<Template>
        queryKey={["voucher-templates", filters]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/voucher-templates", {
              params: {
                query: { ...cursor, ...filters, scope_kind: filters.scope_kind as Scope | undefined },
              },
            }),
          )
        }
        columns={[
          { title: t("partner.template.name"), dataIndex: "name" },
          {
            title: t("partner.template.faceValue"),
            key: "face",
            render: (_, tpl) => fmt.money(tpl.face_value.amount),
          },
          {
            title: t("partner.usage"),
            dataIndex: "purpose",
            render: (p: string) => t(`partner.purpose.${p}` as MessageKey),
          },
          {
            title: t("partner.template.scope"),
            key: "scope",
            render: (_, tpl) => (
              <Space orientation="vertical" size={0}>
                <span>{t(`partner.scope.${tpl.scope.kind}` as MessageKey)}</span>
                {tpl.scope.product_codes.length > 0 ? (
                  <Typography.Text type="secondary">{tpl.scope.product_codes.join(", ")}</Typography.Text>
                ) : null}
              </Space>
            ),
          },
          {
            title: t("partner.template.validity"),
            key: "validity",
            render: (_, tpl) =>
              tpl.validity.kind === "relative"
                ? t("partner.validity.days", { days: tpl.validity.valid_days ?? 0 })
                : `${tpl.validity.valid_from} ~ ${tpl.validity.valid_until}`,
          },
          { title: t("partner.template.issued"), dataIndex: "issued_count" },
          {
            title: t("common.status"),
            key: "status",
            render: (_, tpl) => (
              <Tag color={tpl.status === "active" ? "green" : "default"}>
                {t(`partner.template.status.${tpl.status}` as MessageKey)}
              </Tag>
            ),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, tpl) =>
              mayManage && tpl.status === "active" && tpl.purpose === "customer_discount" ? (
                <Button size="small" type="link" onClick={() => setIssuing(tpl)}>
                  {t("partner.issue")}
                </Button>
              ) : null,
          },
        ]}
      />
      <CreateTemplate open={creating} onClose={() => setCreating(false)} />
      {issuing ? <IssueDialog template={issuing} onClose={() => setIssuing(undefined)} /> : null}
    </>
  );
}

interface TemplateForm {
  name: string;
  face: string;
  scope: Scope;
  product_codes?: string[];
  validity: "relative" | "fixed";
  valid_days?: number;
  range?: [Dayjs, Dayjs];
  min_bill?: string;
  note?: string;
}

/** The Create Template pop-up: usage is always "Customer Discount" for a reseller. */
function CreateTemplate(props: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const amountRule = useAmountRule();
  const [form] = Form.useForm<TemplateForm>();
  const { error, send } = useKeyedSend();
  const scope = Form.useWatch("scope", form);
  const validity = Form.useWatch("validity", form);
  const submit = async () => {
    const v = await form.validateFields();
    await send(async (key) => {
      await unwrap(
        api.POST("/v1/voucher-templates", {
          headers: { "idempotency-key": key },
          body: {
            name: v.name,
            purpose: "customer_discount",
            face_value: { amount: fmt.toMinor(v.face)!, asset: fmt.currency },
            scope: { kind: v.scope, ...(v.scope === "all" ? {} : { product_codes: v.product_codes ?? [] }) },
            validity:
              v.validity === "relative"
                ? { kind: "relative", valid_days: v.valid_days! }
                : {
                    kind: "fixed",
                    valid_from: v.range![0].format("YYYY-MM-DD"),
                    valid_until: v.range![1].format("YYYY-MM-DD"),
                  },
            ...(v.min_bill ? { min_bill_amount: fmt.toMinor(v.min_bill)! } : {}),
            ...(v.note ? { note: v.note } : {}),
          },
        }),
      );
      form.resetFields();
      message.success(t("partner.template.created"));
      await client.invalidateQueries({ queryKey: ["voucher-templates"] });
      props.onClose();
    });
  };
  return (
    <Modal
      open={props.open}
      title={t("partner.template.create")}
      okText={t("common.confirm")}
      cancelText={t("common.cancel")}
      onOk={submit}
      onCancel={props.onClose}
      destroyOnHidden
      width={560}
    >
      <ProblemAlert error={error} />
      <Form<TemplateForm>
        form={form}
        layout="vertical"
        name="create-template"
        initialValues={{ scope: "all", validity: "relative", valid_days: 30 }}
      >
        <Form.Item name="name" label={t("partner.template.name")} rules={[{ required: true, max: 100 }]}>
          <Input />
        </Form.Item>
        <Form.Item label={t("partner.usage")} extra={t("partner.usage.note")}>
          <Radio.Group
            value="customer_discount"
            options={[
              { value: "customer_discount", label: t("partner.purpose.customer_discount") },
              { value: "product_trial", label: t("partner.purpose.product_trial"), disabled: true },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="face"
          label={t("partner.template.faceValue")}
          rules={[{ required: true, message: t("common.badAmount") }, amountRule]}
        >
          <Input prefix={fmt.currency} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="scope" label={t("partner.template.scope")}>
          <Radio.Group
            options={SCOPES.map((s) => ({ value: s, label: t(`partner.scope.${s}` as MessageKey) }))}
          />
        </Form.Item>
        {scope && scope !== "all" ? (
          <Form.Item
            name="product_codes"
            label={t("partner.template.products")}
            extra={t(`partner.scope.${scope}.hint` as MessageKey)}
            rules={[{ required: true, type: "array", min: 1 }]}
          >
            <Select mode="tags" tokenSeparators={[",", " "]} />
          </Form.Item>
        ) : null}
        <Form.Item name="validity" label={t("partner.template.validity")}>
          <Radio.Group
            options={[
              { value: "relative", label: t("partner.validity.relative") },
              { value: "fixed", label: t("partner.validity.fixed") },
            ]}
          />
        </Form.Item>
        {validity === "fixed" ? (
          <Form.Item name="range" rules={[{ required: true }]}>
            <DatePicker.RangePicker />
          </Form.Item>
        ) : (
          <Form.Item name="valid_days" rules={[{ required: true }]}>
            <InputNumber min={1} max={3650} suffix={t("partner.validity.dayUnit")} />
          </Form.Item>
        )}
        <Form.Item name="min_bill" label={t("partner.template.minBill")} rules={[amountRule]}>
          <Input prefix={fmt.currency} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="note" label={t("partner.template.note")} rules={[{ max: 500 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The Issue pop-up: a customer of this reseller and an amount (the template's by default). */
function IssueDialog(props: { template: Template; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const unit = usePartnerUnit();
  const customers = useUnitsBelow(unit.id, "customer");
  const amountRule = useAmountRule();
  const [form] = Form.useForm<{ customer_id: string; amount: string }>();
  const { error, send } = useKeyedSend();
  const quota = useQuota();
  const submit = async () => {
    const v = await form.validateFields();
    await send(async (key) => {
      await unwrap(
        api.POST("/v1/voucher-templates/{id}/issue", {
          params: { path: { id: props.template.id } },
          headers: { "idempotency-key": key },
          body: { recipients: [{ customer_id: v.customer_id, amount: fmt.toMinor(v.amount)! }] },
        }),
      );
      message.success(t("partner.issued"));
      await refreshQueries(client, ["voucher-quotas", "voucher-templates", "vouchers"]);
      props.onClose();
    });
  };
  return (
    <Modal
      open
      title={t("partner.issueTitle", { name: props.template.name })}
      okText={t("common.confirm")}
      cancelText={t("common.cancel")}
      onOk={submit}
      onCancel={props.onClose}
    >
      <ProblemAlert error={error} />
      <Typography.Paragraph type="secondary">
        {t("partner.issue.quotaLeft", { amount: quota.data ? fmt.money(quota.data.available) : "—" })}
      </Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        name="issue-voucher"
        initialValues={{ amount: fmt.toMajor(props.template.face_value.amount) }}
      >
        <Form.Item name="customer_id" label={t("partner.customer")} rules={[{ required: true }]}>
          <Select
            showSearch
            optionFilterProp="label"
            loading={customers.isPending}
            options={(customers.data ?? []).map((c) => ({
              value: c.id,
              label: `${c.name} (${c.code ?? c.id})`,
            }))}
            notFoundContent={t("partner.noCustomers")}
          />
        </Form.Item>
        <Form.Item
          name="amount"
          label={t("partner.issue.amount")}
          extra={t("partner.issue.amountHint")}
          rules={[{ required: true, message: t("common.badAmount") }, amountRule]}
        >
          <Input prefix={fmt.currency} style={{ width: 200 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
