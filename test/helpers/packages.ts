import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./app.js";

/**
 * A tenant set up for selling packages: a card plan (Silver < Gold < Platinum, 365-day cards),
 * a 10%-off benefit only Platinum members have on their own, a 30-day card extension, a coffee
 * voucher template, a purchase agreement. Calls as the owner; every POST gets a fresh
 * Idempotency-Key unless one is given.
 */
export async function packageWorld(options: { t?: TestApp; tenant?: TestTenant } = {}) {
  const t = options.t ?? (await createTestApp());
  const tenant = options.tenant ?? (await createTestTenant(t));
  let seq = 0;
  const call = (
    method: "GET" | "POST" | "PATCH" | "PUT",
    url: string,
    payload?: object,
    headers: Record<string, string> = tenant.auth,
    key?: string,
  ): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(method === "POST" ? { "idempotency-key": key ?? `pk-${++seq}` } : {}) },
      ...(payload ? { payload } : {}),
    });
  const ok = async <T = Record<string, unknown>>(response: Promise<LightMyRequestResponse>, status = 0) => {
    const r = await response;
    if (status) expect(r.statusCode, r.body).toBe(status);
    else expect(r.statusCode, r.body).toBeLessThan(300);
    return json<T>(r);
  };
  const code = async (response: Promise<LightMyRequestResponse>, status: number) => {
    const r = await response;
    expect(r.statusCode, r.body).toBe(status);
    expect(String(r.headers["content-type"])).toContain("application/problem+json");
    return json<{ code: string; extra?: unknown; errors?: { field: string }[] } & Record<string, unknown>>(r)
      .code;
  };

  await ok(
    call("POST", "/v1/card-plans", {
      code: "std",
      name: "Standard",
      validity: { kind: "relative", days: 365 },
      tiers: [
        { code: "silver", name: "Silver", rank: 1 },
        { code: "gold", name: "Gold", rank: 2 },
        { code: "platinum", name: "Platinum", rank: 3 },
      ],
    }),
  );
  const discount = (
    await ok<{ id: string }>(
      call("POST", "/v1/benefits", {
        kind: "member_discount",
        name: "Package 10% off",
        audience: { tiers: ["platinum"] },
        config: { discount_percent: 10 },
      }),
    )
  ).id;
  const extension = (
    await ok<{ id: string }>(
      call("POST", "/v1/benefits", {
        kind: "card_extension",
        name: "30-day card extension",
        audience: { tiers: ["platinum"] },
        config: { extension_days: 30 },
      }),
    )
  ).id;
  const coffee = (
    await ok<{ id: string }>(
      call("POST", "/v1/gift-voucher-templates", {
        name: "Coffee voucher",
        face_amount: 1500,
        validity: { kind: "relative", valid_days: 30 },
        scope: { kind: "all" },
        min_spend: 0,
      }),
    )
  ).id;
  const agreement = (
    await ok<{ id: string }>(
      call("POST", "/v1/agreements", {
        type: "purchase_agreement",
        title: "Package purchase agreement",
        body: "# Terms",
        locale: "zh-CN",
      }),
    )
  ).id;

  /** The seed's rule: 199 / 159 / 179 / 169 / 139 during Oct 1-7, 2025. */
  const seedRule = {
    key: "quarterly",
    duration_days: 90,
    original_price: 19900,
    first_purchase_price: 15900,
    repeat_purchase_price: 17900,
    early_renewal_price: 16900,
    limited_time: { price: 13900, from_date: "2025-10-01", until_date: "2025-10-07" },
  };

  /** An active package (the seed's rule, a first-purchase coffee gift, 10% off) with overrides. */
  const createPackage = async (over: Record<string, unknown> = {}) => {
    const pkg = await ok<{ id: string }>(
      call("POST", "/v1/packages", {
        name: "Premium Member Benefit Package",
        tags: ["High-End", "Quarterly"],
        channels: ["POS", "ONLINE"],
        refund_restriction: true,
        purchase_agreement_id: agreement,
        sales_rules: [seedRule],
        perks: [
          {
            type: "first_purchase_gift",
            key: "welcome",
            applicable_rules: "all",
            bonus_points: 500,
            gift: { kind: "voucher", template_id: coffee },
          },
          { type: "member_discount", key: "ten-off", applicable_rules: "all", benefit_id: discount },
        ],
        ...over,
      }),
      201,
    );
    await ok(call("POST", `/v1/packages/${pkg.id}/activate`));
    return pkg.id;
  };

  const member = async (balance = 0, tier: string | null = "silver", name = "Member") => {
    const id = (await ok<{ id: string }>(call("POST", "/v1/members", { name, ...(tier ? { tier } : {}) })))
      .id;
    if (balance > 0) await ok(call("POST", `/v1/members/${id}/top-ups`, { amount: balance, reason: "cash" }));
    return id;
  };

  const balance = (id: string) =>
    ok<{ principal: number; bonus: number; available: number; points: number }>(
      call("GET", `/v1/members/${id}/balance`),
    );

  return {
    t,
    tenant,
    call,
    ok,
    code,
    discount,
    extension,
    coffee,
    agreement,
    seedRule,
    createPackage,
    member,
    balance,
  };
}

export type PackageWorld = Awaited<ReturnType<typeof packageWorld>>;

export interface OrderBody {
  id: string;
  status: string;
  situation: string;
  price: { amount: number; asset: string };
  price_kind: string;
  period: { id: string; starts_at: string; ends_at: string; status: string } | null;
  gifts: { perk_key: string; status: string; voucher_ids: string[] }[];
  points_awarded: number;
  payment: { method: string; checkout: Record<string, unknown> | null; provider: string | null };
  agreements: { agreement_id: string; version: number }[];
}
