import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Button, Card, Form, Input, InputNumber, Select, Space, Typography } from "antd";
import { api, unwrap } from "../../../api/client";
import { everyValueOf } from "../../../api/enums";
import type { operations } from "../../../api/openapi";
import { GiftField, type GiftSpec, useGiftRule } from "../components/GiftField";
import { type MessageKey, useI18n } from "../i18n/i18n";

/** A perk kind as the API takes it in a package's `perks`. */
type ApiPerkType = NonNullable<
  operations["createPackage"]["requestBody"]["content"]["application/json"]["perks"]
>[number]["type"];

/** The nine perk kinds a package offers (seed 001 §2.2.1 "Configure Benefits"), as the API names them. */
export const PERK_TYPES = everyValueOf<ApiPerkType>()([
  "first_purchase_gift",
  "repeat_purchase_gift",
  "early_renewal_gift",
  "member_pricing",
  "member_discount",
  "multiplier_points",
  "promotions",
  "tier_upgrade",
  "card_extension",
]);
type PerkType = (typeof PERK_TYPES)[number];
const GIFT_PERKS: readonly PerkType[] = ["first_purchase_gift", "repeat_purchase_gift", "early_renewal_gift"];
/** The benefit kind each benefit-referencing perk names ("select from existing … benefits"). */
const PERK_BENEFIT_KIND = {
  member_pricing: "member_pricing",
  member_discount: "member_discount",
  multiplier_points: "multiplier_points",
  promotions: "promotional",
  card_extension: "card_extension",
} as const;
type BenefitPerk = keyof typeof PERK_BENEFIT_KIND;
const MAX_PERKS = 20;
const KEY = /^[A-Za-z0-9_-]{1,32}$/;

/** A perk as the form holds it: one flat record, whatever its kind. */
export interface PerkDraft {
  type: PerkType;
  key: string;
  name?: string;
  description?: string;
  /** Empty: every sales rule ("All Rules"). */
  rule_keys?: string[];
  bonus_points?: number | null;
  gift?: GiftSpec;
  gift_stock?: number | null;
  distribution?: "immediate" | "on_effect";
  benefit_id?: string;
  tier?: string;
}

type ApiPerk = Record<string, unknown>;

/** A perk of the API as the form shows it. */
export function perkDraft(p: ApiPerk): PerkDraft {
  const rules = p.applicable_rules as "all" | string[];
  return {
    type: p.type as PerkType,
    key: p.key as string,
    name: p.name as string | undefined,
    description: p.description as string | undefined,
    rule_keys: rules === "all" ? [] : rules,
    bonus_points: p.bonus_points as number | undefined,
    gift: p.gift as GiftSpec | undefined,
    gift_stock: p.gift_stock as number | null | undefined,
    distribution: p.distribution as PerkDraft["distribution"],
    benefit_id: p.benefit_id as string | undefined,
    tier: p.tier as string | undefined,
  };
}

/** The perk the API takes: only the fields of its kind, and only those filled in. */
export function perkOf(d: PerkDraft): ApiPerk {
  const perk: ApiPerk = { type: d.type, key: d.key };
  if (d.name) perk.name = d.name;
  if (d.description) perk.description = d.description;
  perk.applicable_rules = d.rule_keys?.length ? d.rule_keys : "all";
  if (GIFT_PERKS.includes(d.type)) {
    if (typeof d.bonus_points === "number") perk.bonus_points = d.bonus_points;
    if (d.gift) perk.gift = d.gift;
    if (typeof d.gift_stock === "number") perk.gift_stock = d.gift_stock;
    if (d.type === "early_renewal_gift" && d.distribution) perk.distribution = d.distribution;
  } else if (d.type === "tier_upgrade") {
    perk.tier = d.tier;
  } else {
    perk.benefit_id = d.benefit_id;
  }
  return perk;
}

type Option = { value: string; label: string };

/** A select over one page (the largest) of what the API lists, for a perk to name. */
function PickList(props: {
  list: string;
  load: () => Promise<Option[]>;
  search?: boolean;
  value?: string;
  onChange?: (v: string) => void;
  "aria-label": string;
}) {
  const list = useQuery({ queryKey: ["perk-picker", props.list], queryFn: props.load });
  return (
    <Select
      showSearch={props.search}
      optionFilterProp="label"
      aria-label={props["aria-label"]}
      style={{ width: 240 }}
      loading={list.isFetching}
      value={props.value}
      onChange={props.onChange}
      options={list.data ?? []}
    />
  );
}

/** The active benefits of the kind a perk names ("select from existing … benefits"). */
const loadBenefits = (kind: BenefitPerk) => async () =>
  (
    await unwrap(
      api.GET("/v1/benefits", {
        params: { query: { kind: PERK_BENEFIT_KIND[kind], status: "active", limit: 100 } },
      }),
    )
  ).data.map((b) => ({ value: b.id, label: b.name }));

/** Every card plan's tiers, named with their plan. */
const loadTiers = async () =>
  (await unwrap(api.GET("/v1/card-plans"))).data.flatMap((plan) =>
    plan.tiers.map((tier) => ({ value: tier.code, label: `${plan.name} · ${tier.name}` })),
  );

/** One perk: its kind first, then the fields that kind has. */
function PerkRow(props: { name: number; index: number; ruleKeys: string[]; onRemove(): void }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const type = Form.useWatch(["perks", props.name, "type"], form) as PerkType | undefined;
  const giftKind = (Form.useWatch(["perks", props.name, "gift"], form) as GiftSpec | undefined)?.kind;
  const giftRule = useGiftRule();
  const n = props.index + 1;
  const label = (key: MessageKey) => `${t(key)} ${n}`;
  const item = (field: keyof PerkDraft) => [props.name, field];
  const gift = type !== undefined && GIFT_PERKS.includes(type);
  return (
    <Card
      size="small"
      data-testid={`perk-${props.index}`}
      title={t("pkg.perk.title", { n })}
      extra={<MinusCircleOutlined aria-label={label("pkg.perk.remove")} onClick={props.onRemove} />}
      style={{ marginBottom: 12 }}
    >
      <Space wrap align="start">
        <Form.Item name={item("type")} label={t("pkg.perk.type")} rules={[{ required: true }]}>
          <Select
            aria-label={label("pkg.perk.type")}
            style={{ width: 180 }}
            options={PERK_TYPES.map((v) => ({ value: v, label: t(`pkg.perk.type.${v}`) }))}
          />
        </Form.Item>
        <Form.Item
          name={item("key")}
          label={t("pkg.perk.key")}
          rules={[
            { required: true, pattern: KEY, message: t("pkg.perk.keyRule") },
            {
              validator: async (_, key: string) => {
                const keys = ((form.getFieldValue("perks") ?? []) as PerkDraft[]).map((p) => p?.key);
                if (key && keys.filter((k) => k === key).length > 1) throw new Error(t("pkg.perk.keyTaken"));
              },
            },
          ]}
        >
          <Input aria-label={label("pkg.perk.key")} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name={item("name")} label={t("pkg.perk.name")} rules={[{ max: 100 }]}>
          <Input aria-label={label("pkg.perk.name")} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name={item("rule_keys")} label={t("pkg.perk.rules")}>
          <Select
            mode="multiple"
            aria-label={label("pkg.perk.rules")}
            placeholder={t("pkg.perk.allRules")}
            style={{ minWidth: 180 }}
            options={props.ruleKeys.map((k) => ({ value: k, label: k }))}
          />
        </Form.Item>
      </Space>
      {gift ? (
        <Space wrap align="start">
          <Form.Item name={item("bonus_points")} label={t("pkg.perk.bonusPoints")}>
            <InputNumber aria-label={label("pkg.perk.bonusPoints")} min={0} max={1_000_000} precision={0} />
          </Form.Item>
          <Form.Item name={item("gift")} label={t("pkg.perk.gift")} rules={[giftRule]}>
            <GiftField label={label("pkg.perk.gift")} />
          </Form.Item>
          {giftKind === "voucher" || giftKind === "voucher_package" ? (
            <Form.Item name={item("gift_stock")} label={t("pkg.perk.giftStock")}>
              <InputNumber
                aria-label={label("pkg.perk.giftStock")}
                placeholder={t("pkg.perk.unlimited")}
                min={0}
                max={10_000_000}
                precision={0}
              />
            </Form.Item>
          ) : null}
          {type === "early_renewal_gift" ? (
            <Form.Item name={item("distribution")} label={t("pkg.perk.distribution")}>
              <Select
                aria-label={label("pkg.perk.distribution")}
                allowClear
                placeholder={t("pkg.perk.distribution.immediate")}
                style={{ width: 220 }}
                options={(["immediate", "on_effect"] as const).map((v) => ({
                  value: v,
                  label: t(`pkg.perk.distribution.${v}`),
                }))}
              />
            </Form.Item>
          ) : null}
        </Space>
      ) : type === "tier_upgrade" ? (
        <Form.Item name={item("tier")} label={t("pkg.perk.tier")} rules={[{ required: true }]}>
          <PickList list="tiers" load={loadTiers} aria-label={label("pkg.perk.tier")} />
        </Form.Item>
      ) : type ? (
        <Form.Item name={item("benefit_id")} label={t("pkg.perk.benefit")} rules={[{ required: true }]}>
          <PickList
            list={`benefits-${type}`}
            load={loadBenefits(type as BenefitPerk)}
            search
            aria-label={label("pkg.perk.benefit")}
          />
        </Form.Item>
      ) : null}
      <Form.Item name={item("description")} label={t("pkg.perk.description")} rules={[{ max: 2000 }]}>
        <Input.TextArea aria-label={label("pkg.perk.description")} rows={2} />
      </Form.Item>
    </Card>
  );
}

/** The package's perks as a list of small forms (up to 20), each of one of the nine kinds. */
export function PerkRows() {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const rules = (Form.useWatch("rules", form) ?? []) as { key?: string }[];
  const ruleKeys = [...new Set(rules.map((r) => r?.key).filter((k): k is string => !!k && KEY.test(k)))];
  return (
    <Form.List name="perks">
      {(fields, { add, remove }) => (
        <Form.Item label={t("pkg.perks")}>
          {fields.length === 0 ? (
            <Typography.Paragraph type="secondary">{t("pkg.perk.none")}</Typography.Paragraph>
          ) : null}
          {fields.map((field, i) => (
            <PerkRow
              key={field.key}
              name={field.name}
              index={i}
              ruleKeys={ruleKeys}
              onRemove={() => remove(field.name)}
            />
          ))}
          <Button
            type="dashed"
            icon={<PlusOutlined />}
            disabled={fields.length >= MAX_PERKS}
            onClick={() => {
              const taken = new Set(((form.getFieldValue("perks") ?? []) as PerkDraft[]).map((p) => p?.key));
              let n = fields.length + 1;
              while (taken.has(`perk${n}`)) n++;
              add({
                type: "first_purchase_gift",
                key: `perk${n}`,
                gift: { kind: "none" },
              } satisfies PerkDraft);
            }}
          >
            {t("pkg.perk.add")}
          </Button>
        </Form.Item>
      )}
    </Form.List>
  );
}
