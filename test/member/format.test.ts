import { describe, expect, it } from "vitest";
import { SYSTEM_REASON_CODES } from "../../src/modules/wallets/change-reasons.js";
import { changeReason, formatter, memberOrderRef, translator } from "../../web/member/src/format.js";
import { en, zhCN } from "../../web/member/src/messages.js";

/** The member center's amounts: exact from minor units, in the tenant's symbol and scale. */
describe("member center formatting", () => {
  it("formats an ISO currency with its symbol and scale, exactly", () => {
    const fmt = formatter("zh-CN", { code: "CNY", scale: 2, symbol: null }, "Asia/Shanghai");
    expect(fmt.money(123456)).toBe("¥1,234.56");
    expect(fmt.money(-5)).toBe("-¥0.05");
    // Beyond a double's exact integers as a major-unit float, the string path stays exact.
    expect(fmt.money(9_007_199_254_740_991)).toBe("¥90,071,992,547,409.91");
    expect(fmt.signed(1000, "money")).toBe("+¥10.00");
    expect(fmt.signed(-1000, "money")).toBe("-¥10.00");
    expect(fmt.signed(500, "points")).toBe("+500");
  });

  it("formats a house currency with its own symbol, or its code when it has none", () => {
    expect(formatter("en", { code: "GOLD", scale: 0, symbol: "★" }, "UTC").money(1234)).toBe("★1,234");
    expect(formatter("en", { code: "PTS", scale: 1, symbol: null }, "UTC").money(125)).toBe("12.5 PTS");
  });

  it("shows dates in the tenant's zone", () => {
    const fmt = formatter("en", { code: "CNY", scale: 2, symbol: null }, "Asia/Shanghai");
    // 16:00 UTC on 30 June is already 1 July in Shanghai.
    expect(fmt.date("2027-06-30T16:00:00Z")).toBe("Jul 1, 2027");
  });

  it("has every message in both languages, with the same placeholders", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    const holes = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(holes(zhCN[key]), key).toEqual(holes(en[key]));
    }
    expect(translator("zh-CN")("voucher.left", { amount: "¥5.00" })).toBe("剩余 ¥5.00");
  });

  it("says the system's reasons for a change in the member's words, a person's own as written", () => {
    const fmt = formatter("zh-CN", { code: "CNY", scale: 2, symbol: null }, "Asia/Shanghai");
    const zh = translator("zh-CN");
    const coded = (code: string, params: Record<string, string | number>) => ({
      reason: "order ord_1 refunded",
      note: null,
      reason_code: code,
      reason_params: params,
    });
    expect(changeReason(coded("order_refunded", { order: "ord_1" }), zh, fmt)).toBe("订单退款");
    expect(changeReason(coded("topup_points", { topup: "tup_1", plan: "夏季充值" }), zh, fmt)).toBe(
      "充值送积分 · 夏季充值",
    );
    expect(changeReason(coded("points_exchanged", { ratio: "100" }), zh, fmt)).toBe(
      "兑换为余额，每 100 积分兑 ¥1.00",
    );
    const enFmt = formatter("en", { code: "GOLD", scale: 0, symbol: "★" }, "UTC");
    expect(changeReason(coded("points_exchanged", { ratio: 10 }), translator("en"), enFmt)).toBe(
      "Exchanged for balance, 10 points per ★1",
    );
    // A person's reason, or failing that the note, as written.
    expect(
      changeReason({ reason: "门店收款", note: "x", reason_code: null, reason_params: null }, zh, fmt),
    ).toBe("门店收款");
    expect(
      changeReason({ reason: null, note: "备注", reason_code: null, reason_params: null }, zh, fmt),
    ).toBe("备注");
    // Every code the server gives has its words in both languages.
    for (const code of SYSTEM_REASON_CODES) {
      expect(zhCN[`reason.${code}` as keyof typeof zhCN], code).toMatch(/[\u4e00-\u9fff]/);
      expect(en[`reason.${code}` as keyof typeof en], code).toBeTruthy();
    }
  });

  it("shows a member the merchant's order reference, not the id of one of this service's own orders", () => {
    expect(memberOrderRef("SO-DEMO-0003")).toBe("SO-DEMO-0003");
    expect(memberOrderRef("20261207-0042")).toBe("20261207-0042");
    expect(memberOrderRef("ord_01m96ea2zc8jbzwaz089e7rkay")).toBeNull();
    expect(memberOrderRef("gcs_01m96ea2r7h7tsdrnwv2x6djjv")).toBeNull();
    expect(memberOrderRef(null)).toBeNull();
  });
});
