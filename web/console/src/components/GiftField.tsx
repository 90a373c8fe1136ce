import { useQuery } from "@tanstack/react-query";
import { InputNumber, Select, Space } from "antd";
import { api, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";

/** What a plan or perk gives (the API's GiftSpec): nothing, a voucher template × quantity, or a voucher package. */
export type GiftSpec =
  | { kind: "none" }
  | { kind: "voucher"; template_id?: string; quantity?: number }
  | { kind: "voucher_package"; package_id?: string };

/** A gift that gives something, or undefined for none (so an untouched form sends nothing). */
export const giftOrUndefined = (g: GiftSpec | undefined) => (g && g.kind !== "none" ? g : undefined);

const giftComplete = (g: GiftSpec | undefined) =>
  !g || g.kind === "none" || (g.kind === "voucher" ? !!g.template_id : !!g.package_id);

/** The active voucher templates and packages a gift names, each loaded once (one page of the largest the API serves). */
function useGiftChoices() {
  const templates = useQuery({
    queryKey: ["/v1/gift-voucher-templates", "picker"],
    queryFn: () =>
      unwrap(api.GET("/v1/gift-voucher-templates", { params: { query: { status: "active", limit: 100 } } })),
  });
  const packages = useQuery({
    queryKey: ["/v1/gift-voucher-packages", "picker"],
    queryFn: () =>
      unwrap(api.GET("/v1/gift-voucher-packages", { params: { query: { status: "active", limit: 100 } } })),
  });
  const options = (list: { id: string; name: string }[] | undefined) =>
    (list ?? []).map((x) => ({ value: x.id, label: x.name }));
  return {
    templates: options(templates.data?.data),
    packages: options(packages.data?.data),
    loading: templates.isFetching || packages.isFetching,
  };
}

/**
 * A gift (No Gift / Voucher / Voucher Package): the kind, then the template and quantity or the
 * package, chosen from what the catalog holds. `label` names each control for assistive technology.
 */
export function GiftField(props: { label: string; value?: GiftSpec; onChange?: (g: GiftSpec) => void }) {
  const { t } = useI18n();
  const choices = useGiftChoices();
  const g = props.value ?? { kind: "none" };
  const set = (next: GiftSpec) => props.onChange?.(next);
  const catalog = (what: "template" | "package", value: string | undefined, pick: (id: string) => void) => (
    <Select
      aria-label={`${props.label} · ${t(`gift.${what}`)}`}
      placeholder={t(`gift.${what}`)}
      style={{ width: 220 }}
      showSearch
      optionFilterProp="label"
      loading={choices.loading}
      value={value}
      options={what === "template" ? choices.templates : choices.packages}
      onChange={pick}
    />
  );
  return (
    <Space wrap>
      <Select
        aria-label={props.label}
        style={{ width: 150 }}
        value={g.kind}
        onChange={(kind: GiftSpec["kind"]) => set(kind === "voucher" ? { kind, quantity: 1 } : { kind })}
        options={(["none", "voucher", "voucher_package"] as const).map((k) => ({
          value: k,
          label: t(`gift.${k}`),
        }))}
      />
      {g.kind === "voucher" ? (
        <>
          {catalog("template", g.template_id, (template_id) => set({ ...g, template_id }))}
          <InputNumber
            aria-label={`${props.label} · ${t("gift.quantity")}`}
            prefix="×"
            min={1}
            max={100}
            precision={0}
            style={{ width: 110 }}
            value={g.quantity ?? 1}
            onChange={(q) => set({ ...g, quantity: q ?? 1 })}
          />
        </>
      ) : null}
      {g.kind === "voucher_package"
        ? catalog("package", g.package_id, (package_id) => set({ kind: "voucher_package", package_id }))
        : null}
    </Space>
  );
}

/** Form rule: a voucher gift names its template, a package gift its package. */
export function useGiftRule() {
  const { t } = useI18n();
  return {
    validator: async (_: unknown, g: GiftSpec | undefined) => {
      if (!giftComplete(g)) throw new Error(t("gift.incomplete"));
    },
  };
}
