import { PlusOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Switch,
  Tabs,
  Tag,
} from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { FormRows } from "../components/FormRows";
import { FilterBar, PageHeader } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { useAmountRule } from "../components/ValueDialog";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import GiftCardDetail from "./GiftCardDetail";
import { GiftCardActivities, SoldGiftCards } from "./GiftCardLists";

type Plan = components["schemas"]["GiftCardPlan"];
const DESIGNS = ["classic", "celebration", "birthday", "thank_you", "festival", "minimal"] as const;
const CHANNELS = ["POS", "ONLINE"] as const;

interface Draft {
  name: string;
  card_type: Plan["card_type"];
  template: (typeof DESIGNS)[number];
  denominations?: { amount?: string; discount?: string }[];
  custom?: boolean;
  custom_min?: string;
  custom_max?: string;
  custom_discount_bps?: number;
  validity_kind: "after_purchase" | "fixed" | "none";
  years?: number;
  months?: number;
  days?: number;
  until?: Dayjs;
  channels: Plan["channels"];
  pos_recharge?: boolean;
}

/** The plan form: amounts in major units, turned into minor units exactly. */
function CreatePlan(props: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Draft>();
  const validityKind = Form.useWatch("validity_kind", form);
  const custom = Form.useWatch("custom", form);
  const [error, setError] = useState<unknown>();
  const minor = (text?: string) => (text ? (fmt.toMinor(text) ?? Number.NaN) : 0);
  const amountRule = useAmountRule();
  const submit = async () => {
    const d = await form.validateFields();
    const denominations = (d.denominations ?? [])
      .filter((x) => x.amount)
      .map((x) => ({ amount: minor(x.amount), discount: minor(x.discount) }));
    if (denominations.length === 0 && !d.custom) {
      setError(new Error(t("gc.plan.needAmount")));
      return;
    }
    setError(undefined);
    const validity =
      d.validity_kind === "after_purchase"
        ? { kind: "after_purchase" as const, years: d.years ?? 0, months: d.months ?? 0, days: d.days ?? 0 }
        : d.validity_kind === "fixed"
          ? { kind: "fixed" as const, until: d.until!.format("YYYY-MM-DD") }
          : { kind: "none" as const };
    try {
      const body = {
        name: d.name,
        card_type: d.card_type,
        design: { kind: "template" as const, template: d.template },
        denominations,
        custom_amount: d.custom
          ? {
              min: minor(d.custom_min),
              max: minor(d.custom_max),
              discount_bps: d.custom_discount_bps ?? 0,
            }
          : null,
        validity,
        channels: d.channels,
        pos_recharge: d.pos_recharge ?? false,
      };
      await unwrap(
        api.POST("/v1/gift-card-plans", { body, headers: { "idempotency-key": idempotencyKey() } }),
      );
      message.success(t("gc.plan.created"));
      form.resetFields();
      props.onClose();
      await client.invalidateQueries({ queryKey: ["gift-card-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      open={props.open}
      title={t("gc.plan.create")}
      onOk={submit}
      onCancel={props.onClose}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      destroyOnHidden
      width={640}
    >
      <ProblemAlert error={error} />
      <Form<Draft>
        name="gift-card-plan"
        form={form}
        layout="vertical"
        initialValues={{
          card_type: "electronic",
          template: "classic",
          validity_kind: "after_purchase",
          years: 1,
          channels: ["POS", "ONLINE"],
          denominations: [{}],
          pos_recharge: true,
        }}
      >
        <Form.Item name="name" label={t("gc.plan.name")} rules={[{ required: true, max: 200 }]}>
          <Input />
        </Form.Item>
        <Space wrap>
          <Form.Item name="card_type" label={t("gc.type")}>
            <Select
              style={{ width: 140 }}
              options={(["electronic", "physical"] as const).map((v) => ({
                value: v,
                label: t(`gc.type.${v}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="template" label={t("gc.plan.design")}>
            <Select
              style={{ width: 140 }}
              options={DESIGNS.map((v) => ({ value: v, label: t(`gc.design.${v}`) }))}
            />
          </Form.Item>
          <Form.Item name="channels" label={t("gc.plan.channels")} rules={[{ required: true }]}>
            <Select
              mode="multiple"
              style={{ minWidth: 180 }}
              options={CHANNELS.map((c) => ({ value: c, label: t(`checkout.channel.${c}`) }))}
            />
          </Form.Item>
        </Space>
        <FormRows
          name="denominations"
          label={`${t("gc.plan.denominations")} (${fmt.currency})`}
          max={6}
          addLabel={t("gc.plan.addDenomination")}
          row={(field, i) => (
            <>
              <Form.Item name={[field.name, "amount"]} rules={[amountRule]}>
                <Input aria-label={`${t("gc.face")} ${i + 1}`} placeholder={t("gc.face")} />
              </Form.Item>
              <Form.Item name={[field.name, "discount"]} rules={[amountRule]}>
                <Input aria-label={`${t("gc.plan.discount")} ${i + 1}`} placeholder={t("gc.plan.discount")} />
              </Form.Item>
            </>
          )}
        />
        <Form.Item name="custom" label={t("gc.plan.custom")} valuePropName="checked">
          <Switch />
        </Form.Item>
        {custom ? (
          <Space wrap>
            <Form.Item
              name="custom_min"
              label={t("gc.plan.customMin")}
              rules={[{ required: true }, amountRule]}
            >
              <Input inputMode="decimal" />
            </Form.Item>
            <Form.Item
              name="custom_max"
              label={t("gc.plan.customMax")}
              rules={[{ required: true }, amountRule]}
            >
              <Input inputMode="decimal" />
            </Form.Item>
            <Form.Item name="custom_discount_bps" label={t("gc.plan.customDiscount")}>
              <InputNumber min={0} max={9999} />
            </Form.Item>
          </Space>
        ) : null}
        <Space wrap>
          <Form.Item name="validity_kind" label={t("gc.plan.validity")}>
            <Select
              style={{ width: 160 }}
              options={(["after_purchase", "fixed", "none"] as const).map((v) => ({
                value: v,
                label: t(`gc.plan.validity.${v}`),
              }))}
            />
          </Form.Item>
          {validityKind === "after_purchase" ? (
            <>
              <Form.Item name="years" label={t("gc.plan.years")}>
                <InputNumber min={0} max={10} />
              </Form.Item>
              <Form.Item name="months" label={t("gc.plan.months")}>
                <InputNumber min={0} max={120} />
              </Form.Item>
              <Form.Item name="days" label={t("gc.plan.days")}>
                <InputNumber min={0} max={3660} />
              </Form.Item>
            </>
          ) : null}
          {validityKind === "fixed" ? (
            <Form.Item name="until" label={t("gc.plan.until")} rules={[{ required: true }]}>
              <DatePicker />
            </Form.Item>
          ) : null}
        </Space>
        <Form.Item name="pos_recharge" label={t("gc.plan.posRecharge")} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Plans() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const { filters, setFilters } = useUrlFilters(["status", "card_type"] as const);
  const [creating, setCreating] = useState(false);
  const setStatus = async (p: Plan, to: "activate" | "deactivate") => {
    try {
      const init = { params: { path: { id: p.id } }, headers: { "idempotency-key": idempotencyKey() } };
      await unwrap(
        to === "activate"
          ? api.POST("/v1/gift-card-plans/{id}/activate", init)
          : api.POST("/v1/gift-card-plans/{id}/deactivate", init),
      );
      message.success(t(to === "activate" ? "gc.plan.activated" : "gc.plan.deactivated"));
      await client.invalidateQueries({ queryKey: ["gift-card-plans"] });
    } catch (e) {
      message.error(problemText(e));
    }
  };
  const confirmDeactivate = (p: Plan) =>
    modal.confirm({
      title: t("gc.plan.deactivateConfirm", { name: p.name }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: { danger: true },
      onOk: () => setStatus(p, "deactivate"),
    });
  return (
    <>
      <Space style={{ justifyContent: "space-between", width: "100%" }}>
        <FilterBar name="plan-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
          <Form.Item name="status" label={t("common.status")}>
            <Select
              allowClear
              style={{ width: 120 }}
              options={(["active", "inactive"] as const).map((s) => ({
                value: s,
                label: t(`gc.plan.status.${s}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="card_type" label={t("gc.type")}>
            <Select
              allowClear
              style={{ width: 120 }}
              options={(["electronic", "physical"] as const).map((v) => ({
                value: v,
                label: t(`gc.type.${v}`),
              }))}
            />
          </Form.Item>
        </FilterBar>
        {can("POST /v1/gift-card-plans") ? (
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setCreating(true)}
            style={{ marginBottom: 16 }}
          >
            {t("gc.plan.create")}
          </Button>
        ) : null}
      </Space>
      <CursorTable<Plan>
        queryKey={["gift-card-plans", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/gift-card-plans", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          { title: t("gc.plan.name"), dataIndex: "name" },
          {
            title: t("gc.type"),
            dataIndex: "card_type",
            render: (v: Plan["card_type"]) => t(`gc.type.${v}`),
          },
          {
            title: t("gc.plan.amounts"),
            key: "amounts",
            render: (_, p) => (
              <Space wrap size={4}>
                {p.denominations.map((d) => (
                  <Tag key={d.amount}>
                    {d.discount
                      ? t("gc.plan.denomination", {
                          amount: fmt.money(d.amount),
                          discount: fmt.money(d.discount),
                        })
                      : fmt.money(d.amount)}
                  </Tag>
                ))}
                {p.custom_amount ? (
                  <Tag color="blue">
                    {t("gc.plan.customRange", {
                      min: fmt.money(p.custom_amount.min),
                      max: fmt.money(p.custom_amount.max),
                    })}
                  </Tag>
                ) : null}
              </Space>
            ),
          },
          {
            title: t("gc.plan.channels"),
            dataIndex: "channels",
            render: (cs: Plan["channels"]) =>
              cs.map((c) => t(`checkout.channel.${c}` as MessageKey)).join(" / "),
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Plan["status"]) => (
              <Tag color={s === "active" ? "green" : "default"}>{t(`gc.plan.status.${s}`)}</Tag>
            ),
          },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, p) =>
              p.status === "inactive" && can("POST /v1/gift-card-plans/{id}/activate") ? (
                <Button size="small" onClick={() => setStatus(p, "activate")}>
                  {t("gc.plan.activate")}
                </Button>
              ) : p.status === "active" && can("POST /v1/gift-card-plans/{id}/deactivate") ? (
                <Button size="small" danger onClick={() => confirmDeactivate(p)}>
                  {t("gc.plan.deactivate")}
                </Button>
              ) : null,
          },
        ]}
      />
      <CreatePlan open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

const TABS = [
  { key: "/gift-cards", label: "gc.tab.plans", needs: "GET /v1/gift-card-plans" },
  { key: "/gift-cards/cards", label: "gc.tab.cards", needs: "GET /v1/gift-cards" },
  { key: "/gift-cards/activities", label: "gc.tab.activities", needs: "GET /v1/gift-card-activities" },
] as const;

/** Gift cards: the plans, the sold cards (and one card), the transaction details; the tab follows the URL. */
export default function GiftCards() {
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const cardId = /^\/gift-cards\/cards\/([^/]+)$/.exec(pathname)?.[1];
  if (cardId) return <GiftCardDetail id={cardId} />;
  const tab = TABS.find((x) => x.key === pathname)?.key ?? "/gift-cards";
  return (
    <>
      <PageHeader title={t("gc.title")} />
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(key)}
        items={TABS.filter((x) => can(x.needs)).map((x) => ({ key: x.key, label: t(x.label) }))}
      />
      {tab === "/gift-cards" ? (
        <Plans />
      ) : tab === "/gift-cards/cards" ? (
        <SoldGiftCards />
      ) : (
        <GiftCardActivities />
      )}
    </>
  );
}
