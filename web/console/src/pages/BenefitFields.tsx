import { Checkbox, Form, Input, Radio, Select, Space } from "antd";
import type { components } from "../../../api/client";
import { sameJson } from "../components/changes";
import { FormRows } from "../components/FormRows";
import type { Format } from "../i18n/format";
import { useI18n } from "../i18n/i18n";

type Benefit = components["schemas"]["Benefit"];
type Kind = Benefit["kind"];
type Config = Record<string, unknown>;

/** Kinds whose price rules (restrictions, available items) the engine applies (seed 001 §2.1.2). */
export const RESTRICTED_KINDS: readonly Kind[] = [
  "member_pricing",
  "member_discount",
  "member_day",
  "birthday",
];
const ITEM_KINDS: readonly Kind[] = [...RESTRICTED_KINDS, "promotional"];
export const CHANNEL_KINDS: readonly Kind[] = [...ITEM_KINDS, "multiplier_points"];
/** Config keys the rule controls own; a JSON-edited config shows the rest. */
export const RULE_KEYS = ["channels", "restrictions", "items"] as const;

const RESTRICTIONS = [
  "balance_below_amount",
  "balance_below_outstanding",
  "balance_below_discounted_outstanding",
] as const;
type RestrictionKind = (typeof RESTRICTIONS)[number];
type Restriction = { kind: RestrictionKind; amount?: number };
type ItemsKind = "all" | "exclude_products" | "exclude_categories";

/** The kind's rule fields shared by the create and edit forms. */
export interface RulesDraft {
  channels?: ("POS" | "ONLINE")[];
  restrictions?: RestrictionKind[];
  restriction_amount?: string;
  items_kind?: ItemsKind;
  items_codes?: string[];
  prices?: { sku?: string; price?: string }[];
}

const filled = (list: string[] | undefined) => (list && list.length > 0 ? list : undefined);

export function rulesToDraft(config: Config, fmt: Format): RulesDraft {
  const restrictions = (config.restrictions as Restriction[] | undefined) ?? [];
  const items = config.items as { kind: ItemsKind; skus?: string[]; categories?: string[] } | undefined;
  const prices = config.prices as { sku: string; price: number }[] | undefined;
  const amount = restrictions.find((r) => r.kind === "balance_below_amount")?.amount;
  return {
    channels: config.channels as RulesDraft["channels"],
    restrictions: restrictions.map((r) => r.kind),
    restriction_amount: amount === undefined ? undefined : fmt.toMajor(amount),
    items_kind: items?.kind ?? "all",
    items_codes: items?.skus ?? items?.categories,
    prices: prices?.map((p) => ({ sku: p.sku, price: fmt.toMajor(p.price) })),
  };
}

/**
 * Puts the rule fields the form shows for `kind` onto `base` (the benefit's config when editing):
 * a field left empty removes its key, every key the form does not show stays as it was.
 */
export function applyRules(kind: Kind, d: RulesDraft, base: Config, fmt: Format): Config {
  const next: Config = { ...base };
  const set = (key: string, value: unknown) => {
    if (value === undefined) delete next[key];
    else next[key] = value;
  };
  if (CHANNEL_KINDS.includes(kind)) set("channels", filled(d.channels));
  if (RESTRICTED_KINDS.includes(kind)) {
    const before = (base.restrictions as Restriction[] | undefined) ?? [];
    const chosen = RESTRICTIONS.filter((r) => d.restrictions?.includes(r)).map(
      (kind): Restriction =>
        kind === "balance_below_amount"
          ? { kind, amount: fmt.toMinor(d.restriction_amount ?? "") }
          : { kind },
    );
    // The same rules in another order are no change: keep the stored order then.
    const sort = (list: Restriction[]) => [...list].sort((x, y) => (x.kind < y.kind ? -1 : 1));
    set(
      "restrictions",
      chosen.length === 0 ? undefined : sameJson(sort(chosen), sort(before)) ? before : chosen,
    );
  }
  if (ITEM_KINDS.includes(kind)) {
    const codes = filled(d.items_codes);
    if (d.items_kind === "exclude_products" && codes) set("items", { kind: "exclude_products", skus: codes });
    else if (d.items_kind === "exclude_categories" && codes)
      set("items", { kind: "exclude_categories", categories: codes });
    // "No exclusions" is also what no `items` means; keep whichever the benefit had.
    else if ((base.items as { kind?: string } | undefined)?.kind !== "all") set("items", undefined);
  }
  if (kind === "member_pricing") {
    set(
      "prices",
      (d.prices ?? []).map((p) => ({ sku: p.sku?.trim(), price: fmt.toMinor(p.price ?? "") })),
    );
  }
  return next;
}

/** Member prices: one row per SKU. */
export function PriceRows() {
  const { t, fmt } = useI18n();
  return (
    <FormRows
      name="prices"
      label={t("benefits.memberPrices")}
      max={500}
      required
      addLabel={t("benefits.addPrice")}
      row={(field, i) => (
        <>
          <Form.Item
            name={[field.name, "sku"]}
            rules={[{ required: true, whitespace: true, max: 64, message: t("benefits.skuRequired") }]}
          >
            <Input placeholder="SKU" aria-label={`SKU ${i + 1}`} style={{ width: 200 }} />
          </Form.Item>
          <Form.Item
            name={[field.name, "price"]}
            rules={[
              {
                validator: async (_: unknown, v: string | undefined) => {
                  if (fmt.toMinor(v ?? "") === undefined) throw new Error(t("benefits.priceInvalid"));
                },
              },
            ]}
          >
            <Input
              inputMode="decimal"
              aria-label={`${t("benefits.memberPrice")} ${i + 1}`}
              placeholder={`${t("benefits.memberPrice")} (${fmt.currency})`}
              style={{ width: 160 }}
            />
          </Form.Item>
        </>
      )}
    />
  );
}

/** Restriction rules and available items, for the kinds the engine applies them to. */
export function RuleFields({ kind }: { kind: Kind | undefined }) {
  const { t, fmt } = useI18n();
  const form = Form.useFormInstance();
  const restrictions = Form.useWatch("restrictions", form) as RestrictionKind[] | undefined;
  const itemsKind = Form.useWatch("items_kind", form) as ItemsKind | undefined;
  if (!kind) return null;
  return (
    <>
      {RESTRICTED_KINDS.includes(kind) ? (
        <Form.Item name="restrictions" label={t("benefits.restrictions")}>
          <Checkbox.Group style={{ display: "flex", flexDirection: "column", gap: 6 }}>
            <Space align="center" wrap>
              <Checkbox value="balance_below_amount">
                {t("benefits.restriction.balance_below_amount")}
              </Checkbox>
              <Form.Item
                name="restriction_amount"
                noStyle
                rules={[
                  {
                    validator: async (_: unknown, v: string | undefined) => {
                      if (!restrictions?.includes("balance_below_amount")) return;
                      if (!(Number(fmt.toMinor(v ?? "")) > 0)) throw new Error(t("benefits.priceInvalid"));
                    },
                  },
                ]}
              >
                <Input
                  inputMode="decimal"
                  aria-label={t("benefits.restrictionAmount")}
                  disabled={!restrictions?.includes("balance_below_amount")}
                  suffix={fmt.currency}
                  style={{ width: 160 }}
                />
              </Form.Item>
            </Space>
            <Checkbox value="balance_below_outstanding">
              {t("benefits.restriction.balance_below_outstanding")}
            </Checkbox>
            <Checkbox value="balance_below_discounted_outstanding">
              {t("benefits.restriction.balance_below_discounted_outstanding")}
            </Checkbox>
          </Checkbox.Group>
        </Form.Item>
      ) : null}
      {ITEM_KINDS.includes(kind) ? (
        <>
          <Form.Item name="items_kind" label={t("benefits.items")}>
            <Radio.Group
              options={(["all", "exclude_products", "exclude_categories"] as const).map((v) => ({
                value: v,
                label: t(`benefits.items.${v}`),
              }))}
            />
          </Form.Item>
          {itemsKind === "exclude_products" || itemsKind === "exclude_categories" ? (
            <Form.Item
              name="items_codes"
              label={t(
                itemsKind === "exclude_products" ? "benefits.items.skus" : "benefits.items.categories",
              )}
              extra={t("benefits.items.codesHint")}
              rules={[{ required: true, type: "array", min: 1 }]}
            >
              <Select mode="tags" tokenSeparators={[",", " "]} open={false} suffixIcon={null} />
            </Form.Item>
          ) : null}
        </>
      ) : null}
    </>
  );
}
