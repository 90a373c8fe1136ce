import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { publishedDocument } from "../../scripts/openapi.js";
import { EVENT_OF as GIFT_CARD_EVENTS } from "../../src/modules/giftcards/giftcards.events.js";
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, auditActionLabel } from "../../web/console/src/i18n/audit.js";
import { enUS } from "../../web/console/src/i18n/en-US.js";
import { decimalToMinor, formatter, minorToDecimal, translator } from "../../web/console/src/i18n/format.js";
import { zhCN } from "../../web/console/src/i18n/zh-CN.js";
import { CONSOLE_SRC, consoleSources, SERVER_SRC, serverSources } from "../helpers/console-sources.js";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the console's message catalogs", () => {
  it("have the same keys in Chinese and English, each filled, with the same placeholders", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(enUS).sort());
    for (const [key, english] of Object.entries(enUS)) {
      const chinese = zhCN[key as keyof typeof enUS] ?? "";
      expect(english.trim(), key).not.toBe("");
      expect(chinese.trim(), key).not.toBe("");
      expect(placeholders(chinese), key).toEqual(placeholders(english));
    }
  });

  it("name every benefit kind and balance change kind the API has (the pages list them from the catalogs)", async () => {
    const schemas = (await publishedDocument()).components as {
      schemas: Record<string, { properties: Record<string, { enum?: string[] }> }>;
    };
    const named = (prefix: string) =>
      Object.keys(enUS)
        .filter((key) => key.startsWith(prefix))
        .map((key) => key.slice(prefix.length))
        .sort();
    expect(named("benefits.kind.")).toEqual(
      [...(schemas.schemas.Benefit!.properties.kind!.enum ?? [])].sort(),
    );
    expect(named("wallet.kind.")).toEqual(
      [...(schemas.schemas.BalanceChange!.properties.kind!.enum ?? [])].sort(),
    );
    // A change the system made says why by a code, shown in the reader's language.
    const reasonCode = schemas.schemas.BalanceChange!.properties.reason_code as {
      anyOf?: { enum?: string[] }[];
      enum?: string[];
    };
    const codes = reasonCode.enum ?? reasonCode.anyOf?.flatMap((s) => s.enum ?? []) ?? [];
    expect(named("wallet.systemReason.")).toEqual(codes.filter((c) => c !== null).sort());
    expect(named("wallet.systemReason.")).toContain("order_refunded");
    // The gift card pages list their statuses and activity types from the catalogs too.
    expect(named("gc.status.")).toEqual(
      [...(schemas.schemas.GiftCard!.properties.status!.enum ?? [])].sort(),
    );
    expect(named("gc.activity.").filter((k) => /^[A-Z_]+$/.test(k))).toEqual(
      [...(schemas.schemas.GiftCardActivity!.properties.type!.enum ?? [])].sort(),
    );
  });

  it("name every action and object the audit log records, in both languages", async () => {
    const recorded = new Set<string>();
    const targets = new Set<string>();
    // Every quoted code on a line that names an audit action or target, so both sides of a
    // ternary count; gift cards audit each activity under its event's type.
    const quoted = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]!);
    for (const file of await serverSources()) {
      for (const line of (await readFile(file, "utf8")).split("\n")) {
        const action = /\baction: (.*)/.exec(line)?.[1];
        if (action) for (const code of quoted(action, /"([a-z_]+\.[a-z_]+)"/g)) recorded.add(code);
        const target = /\btargetType: (.*)/.exec(line)?.[1];
        if (target) for (const code of quoted(target, /"([a-z_]+)"/g)) targets.add(code);
      }
    }
    for (const event of Object.values(GIFT_CARD_EVENTS)) recorded.add(event.type);
    // The scan finds what it should: a sample of each, so a changed call shape cannot empty it.
    expect(recorded).toContain("member.created");
    expect(recorded).toContain("ledger_hold.posted");
    expect(recorded).toContain("gift_card.adjusted_up");
    expect(targets).toContain("gift_card");
    const actions: readonly string[] = AUDIT_ACTIONS;
    const types: readonly string[] = AUDIT_TARGET_TYPES;
    expect([...recorded].filter((action) => !actions.includes(action))).toEqual([]);
    expect([...targets].filter((type) => !types.includes(type))).toEqual([]);
    for (const catalog of [enUS, zhCN] as Record<string, string>[]) {
      expect(actions.filter((action) => auditActionLabel(catalog, action) === undefined)).toEqual([]);
      expect(types.filter((type) => !catalog[`audit.noun.${type}`])).toEqual([]);
    }
    expect(auditActionLabel(zhCN, "gift_card_plan.copied")).toBe("礼品卡方案 · 已复制");
    expect(auditActionLabel(zhCN, "deposit_invoice.issued")).toBe("发票 · 已开具");
    expect(auditActionLabel(enUS, "voucher.issued")).toBe("Voucher · issued");
    expect(auditActionLabel(enUS, "voucher.unheard_of")).toBeUndefined();
  });

  it("name every kind of export in both languages (the exports page lists them by name)", async () => {
    const kinds: string[] = [];
    for (const file of await serverSources()) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/ExportDefinition<[^>]*> = \{\s*type: "([a-z_]+)"/g))
        kinds.push(match[1]!);
    }
    expect(kinds).toContain("audit_events");
    for (const catalog of [enUS, zhCN] as Record<string, string>[]) {
      expect(kinds.filter((kind) => !catalog[`exports.kind.${kind}`])).toEqual([]);
    }
  });

  it("name every reason a paid top-up is kept for a refund", async () => {
    const source = await readFile(path.join(SERVER_SRC, "modules/topup/credit-payment.ts"), "utf8");
    const union = /export type UnfulfilledReason =([^;]+);/.exec(source)?.[1] ?? "";
    const reasons = [...union.matchAll(/\| "([a-z_]+)"/g)].map((m) => m[1]!);
    expect(reasons).toContain("member_closed");
    for (const catalog of [enUS, zhCN] as Record<string, string>[]) {
      expect(reasons.filter((reason) => !catalog[`topup.unfulfilled.${reason}`])).toEqual([]);
    }
    const page = await readFile(path.join(CONSOLE_SRC, "pages/TopupPlanDetail.tsx"), "utf8");
    expect(reasons.filter((reason) => !page.includes(`"${reason}"`))).toEqual([]);
  });

  it("cover every key the pages ask for", async () => {
    const missing: string[] = [];
    for (const file of await consoleSources()) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/\bt\(\s*"([\w.-]+)"/g)) {
        if (!(match[1]! in enUS)) missing.push(`${path.relative(CONSOLE_SRC, file)}: ${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("are the only place with words for people: no Chinese and no English sentence in the pages", async () => {
    const found: string[] = [];
    for (const file of await consoleSources()) {
      if (file.includes(`${path.sep}i18n${path.sep}`)) continue;
      const text = (await readFile(file, "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      if (/[\u4e00-\u9fff]/.test(text)) found.push(`${path.relative(CONSOLE_SRC, file)}: Chinese text`);
      // JSX text of two or more words ("Sign in", "No data") belongs in the catalogs.
      for (const match of text.matchAll(/>\s*([A-Za-z][A-Za-z]+(?:\s+[A-Za-z]+)+)\s*</g)) {
        found.push(`${path.relative(CONSOLE_SRC, file)}: "${match[1]}"`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe("locale-aware formatting", () => {
  it("fills placeholders and formats money exactly from minor units in the tenant's currency", () => {
    expect(translator("zh-CN")("home.title", { name: "王" })).toBe("欢迎，王");
    const zh = formatter({ lang: "zh-CN", currency: "CNY", timeZone: "Asia/Shanghai" });
    const en = formatter({ lang: "en-US", currency: "CNY", timeZone: "Asia/Shanghai" });
    expect(zh.money(123456789)).toBe("¥1,234,567.89");
    expect(en.money(-5)).toBe("-CN¥0.05");
    // 2^53 − 1 minor units: no float rounding on the way to text.
    expect(zh.money(9007199254740991)).toBe("¥90,071,992,547,409.91");
    expect(formatter({ lang: "en-US", currency: "JPY", timeZone: "Asia/Tokyo" }).money(1500)).toBe("¥1,500");
    expect(zh.dateTime("2026-11-23T16:30:00Z")).toBe(
      new Intl.DateTimeFormat("zh-CN", {
        timeZone: "Asia/Shanghai",
        dateStyle: "medium",
        timeStyle: "short",
      }).format(new Date("2026-11-23T16:30:00Z")),
    );
    expect(zh.date("2026-11-23T16:30:00Z")).toContain("11月24日");
  });

  it("reads typed amounts into minor units without floats and refuses what is not an amount", () => {
    expect(decimalToMinor("100", 2)).toBe(10000);
    expect(decimalToMinor("0.1", 2)).toBe(10);
    expect(decimalToMinor(" 12.34 ", 2)).toBe(1234);
    expect(decimalToMinor("1.234", 2)).toBeUndefined();
    expect(decimalToMinor("-1", 2)).toBeUndefined();
    expect(decimalToMinor("1e3", 2)).toBeUndefined();
    expect(decimalToMinor("5", 0)).toBe(5);
    expect(minorToDecimal(5, 2)).toBe("0.05");
    expect(minorToDecimal(-1234, 2)).toBe("-12.34");
  });
});
