import { DateTime } from "luxon";
import type { ApiBody, Call } from "./demo-links.js";

/**
 * A small retail chain's first weeks, seeded on the demo's first start so every page of the
 * console has something to show: a card plan with three tiers, tags and a group, a dozen
 * members in two stores with top-ups, payments and points, benefits, a paid benefit package
 * with buyers, gift cards, vouchers, checkout orders and a student verification. All of it
 * goes through the API with fixed Idempotency-Keys, as a merchant's backend would, so it is
 * validated, audited and on the ledger like real use.
 */

const ZONE = "Asia/Shanghai";
const CARD_PLAN = "vip";

/** Completes an online payment at the provider (the demo's test provider). */
export type PayOnline = (payUrl: string, amount: number, eventId: string) => Promise<void>;
type Post = (url: string, payload: object | Buffer, key: string) => Promise<ApiBody>;
type Store = "sh" | "bj";
type Stores = Record<Store, string>;
type Members = Map<string, string>;

interface DemoMember {
  name: string;
  tier: "silver" | "gold" | "diamond";
  store: Store;
  /** Days before the first start the member registered, so the list reads like weeks of trade. */
  days: number;
  birthday?: string;
  tags?: string[];
  groups?: string[];
  /** Offline top-ups at the desk: amount and bonus, minor units. */
  topUps?: [number, number][];
  points?: number;
}

const MEMBERS: DemoMember[] = [
  {
    name: "王思远",
    tier: "diamond",
    store: "sh",
    days: 58,
    birthday: "1985-03-12",
    tags: ["vip"],
    groups: ["corporate"],
    topUps: [[100_000, 12_000]],
    points: 3_200,
  },
  {
    name: "陈雨桐",
    tier: "gold",
    store: "sh",
    days: 51,
    birthday: "1993-07-21",
    tags: ["coffee"],
    topUps: [[50_000, 5_000]],
    points: 1_480,
  },
  { name: "张浩然", tier: "silver", store: "bj", days: 47, topUps: [[20_000, 0]], points: 260 },
  {
    name: "李嘉怡",
    tier: "gold",
    store: "bj",
    days: 40,
    birthday: "1990-11-02",
    tags: ["coffee", "vip"],
    topUps: [
      [30_000, 3_000],
      [20_000, 0],
    ],
    points: 980,
  },
  { name: "刘子轩", tier: "silver", store: "sh", days: 36, groups: ["corporate"], topUps: [[10_000, 0]] },
  { name: "赵可欣", tier: "silver", store: "sh", days: 29, birthday: "2004-05-18", points: 120 },
  {
    name: "黄俊杰",
    tier: "diamond",
    store: "bj",
    days: 25,
    tags: ["vip"],
    groups: ["corporate"],
    topUps: [[200_000, 30_000]],
    points: 5_600,
  },
  {
    name: "周梦琪",
    tier: "gold",
    store: "sh",
    days: 18,
    tags: ["coffee"],
    topUps: [[30_000, 3_000]],
    points: 640,
  },
  { name: "吴宇航", tier: "silver", store: "bj", days: 12, topUps: [[5_000, 0]], points: 90 },
  {
    name: "徐静怡",
    tier: "diamond",
    store: "sh",
    days: 9,
    tags: ["vip", "coffee"],
    topUps: [[80_000, 8_000]],
    points: 2_100,
  },
  { name: "孙志强", tier: "silver", store: "bj", days: 5, groups: ["corporate"], topUps: [[10_000, 0]] },
  { name: "马晓燕", tier: "gold", store: "bj", days: 2, topUps: [[50_000, 5_000]], points: 300 },
];

/** A plain drawing of a student card (160x100 PNG): the photo the reviewer is shown. */
const STUDENT_ID_PHOTO = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000a00000006408020000008ed4acd8000000ef4944415478daedd9b109803010" +
    "86d19bc4c132581a6b9b4c9226752611c1ca150441e17cf04d700ffee662294d890b27002cc0022cc0022cc0020c58800558" +
    "800558800518b0000bb0000bb0000bb000ff00783f4e250e3060011660011660011660c002ac2cc07dccf703035880051830" +
    "60c05f00d775d39d000336d1261a3060c0800103166001060c183060c0800103062cdf24f9260136d1261a3060c080010306" +
    "0c588005183060c0800103060c18b067836f927c934c3460c0800103060c18b0000b3060c0800103060c183060c080055880" +
    "0103060c3801b0000bb0000bb0000b30600116600116603deb02ddbb637f676b7a150000000049454e44ae426082",
  "hex",
);

export async function seedDemoCatalog(
  call: Call,
  demoMemberId: string,
  now: Date,
  payOnline?: PayOnline,
): Promise<void> {
  const post: Post = (url, payload, key) => call("POST", url, payload, `demo-catalog-${key}`);
  const stores = await storeIds(call);
  await seedMembership(post, demoMemberId);
  const members = await seedMembers(post, stores, now);
  await seedWalletActivity(call, post, members, stores);
  if (payOnline) await seedOnlineTopUps(post, members, payOnline);
  const packageDiscount = await seedBenefits(post);
  await seedBenefitPackage(post, packageDiscount, members, stores);
  await seedGiftCards(call, post, members);
  await seedVouchers(call, post, members, now);
  await seedCheckoutOrders(post, members, stores);
  await seedStudentVerification(post, members, now);
}

/** The two stores' org units, by the codes the demo tenant gives them. */
async function storeIds(call: Call): Promise<Stores> {
  const units = (await call("GET", "/v1/org-units?limit=100")).data;
  const id = (code: string) => {
    const unit = units.find((u) => u.code === code);
    if (!unit) throw new Error(`the demo tenant has no org unit ${code}`);
    return unit.id;
  };
  return { sh: id("STORE-SH-01"), bj: id("STORE-BJ-01") };
}

/** A card plan with three tiers, two tags and a group; the demo member is a Gold card holder. */
async function seedMembership(post: Post, demoMemberId: string): Promise<void> {
  await post(
    "/v1/card-plans",
    {
      code: CARD_PLAN,
      name: "会员卡",
      validity: { kind: "relative", days: 365 },
      tiers: [
        { code: "silver", name: "银卡", rank: 1 },
        { code: "gold", name: "金卡", rank: 2 },
        { code: "diamond", name: "钻石卡", rank: 3 },
      ],
    },
    "card-plan",
  );
  await post("/v1/member-tags", { code: "vip", name: "高价值客户" }, "tag-vip");
  await post("/v1/member-tags", { code: "coffee", name: "咖啡爱好者" }, "tag-coffee");
  await post("/v1/member-groups", { code: "corporate", name: "企业团购客户" }, "group-corporate");
  await post(
    `/v1/members/${demoMemberId}/change-tier`,
    { card_plan: CARD_PLAN, tier: "gold", reason: "manual" },
    "demo-member-tier",
  );
}

async function seedMembers(post: Post, stores: Stores, now: Date): Promise<Members> {
  const members: Members = new Map();
  const month = DateTime.fromJSDate(now, { zone: ZONE }).toFormat("MM");
  for (const [index, m] of MEMBERS.entries()) {
    const phone = `13900000${String(index + 1).padStart(3, "0")}`;
    // One member has a birthday this month, so the birthday benefit is seen in effect.
    const birthday = m.name === "赵可欣" ? `2004-${month}-15` : m.birthday;
    const created = await post(
      "/v1/members",
      {
        name: m.name,
        phone,
        card_plan: CARD_PLAN,
        tier: m.tier,
        org_unit_id: stores[m.store],
        registered_at: new Date(now.getTime() - m.days * 86_400_000).toISOString(),
        ...(birthday ? { birthday } : {}),
        ...(m.tags ? { tags: m.tags } : {}),
        ...(m.groups ? { groups: m.groups } : {}),
      },
      `member-${phone}`,
    );
    members.set(m.name, created.id);
  }
  return members;
}

/** Desk top-ups (one through the range top-up plan), balance payments, a withdrawal, points. */
async function seedWalletActivity(call: Call, post: Post, members: Members, stores: Stores): Promise<void> {
  for (const m of MEMBERS) {
    const id = member(members, m.name);
    for (const [n, [amount, bonus]] of (m.topUps ?? []).entries())
      await post(
        `/v1/members/${id}/top-ups`,
        { amount, bonus_amount: bonus, reason: "门店现金充值" },
        `topup-${id}-${n}`,
      );
    if (m.points)
      await post(
        `/v1/members/${id}/points`,
        { operation: "earn", points: m.points, reason: "消费送积分" },
        `points-${id}`,
      );
  }
  const plans = (await call("GET", "/v1/topup-plans")).data as (ApiBody["data"][number] & { name: string })[];
  const rangePlan = plans.find((p) => p.name === "储值满100送10%");
  if (rangePlan)
    await post(
      `/v1/topup-plans/${rangePlan.id}/top-ups`,
      {
        member_id: member(members, "吴宇航"),
        amount: 20_000,
        channel: "pos",
        store_id: stores.bj,
        payment_method: "offline",
      },
      "plan-topup",
    );
  const payments: [string, string, number, number][] = [
    ["王思远", "拿铁咖啡", 2, 3_200],
    ["陈雨桐", "提拉米苏", 1, 3_800],
    ["黄俊杰", "精品咖啡豆 250g", 2, 12_800],
    ["徐静怡", "下午茶套餐", 1, 16_800],
    ["周梦琪", "美式咖啡", 3, 2_600],
  ];
  for (const [n, [name, item, quantity, unit]] of payments.entries())
    await post(
      "/v1/wallet-payments",
      {
        member_id: member(members, name),
        order_id: `SO-DEMO-${String(n + 1).padStart(4, "0")}`,
        currency: "CNY",
        lines: [{ name: item, quantity, unit_amount: unit }],
        amount_due: quantity * unit,
        external_method: "none",
      },
      `payment-${n}`,
    );
  await post(
    `/v1/members/${member(members, "张浩然")}/withdrawals`,
    { amount: 5_000, reason: "会员申请退还部分储值" },
    "withdrawal",
  );
  await post(
    `/v1/members/${member(members, "王思远")}/points`,
    { operation: "spend", points: 1_000, reason: "积分兑换保温杯" },
    "points-spend",
  );
  await post(
    `/v1/members/${member(members, "黄俊杰")}/exchanges`,
    { from: "points", points: 2_000, note: "积分抵现" },
    "points-exchange",
  );
}

/** Two members top up online and pay at the provider, as they would from the member center. */
async function seedOnlineTopUps(post: Post, members: Members, payOnline: PayOnline): Promise<void> {
  const topUps: [string, number][] = [
    ["陈雨桐", 20_000],
    ["孙志强", 10_000],
  ];
  for (const [n, [name, amount]] of topUps.entries()) {
    const intent = await post(
      `/v1/members/${member(members, name)}/topup-intents`,
      { amount, payment_scene: "mobile" },
      `topup-intent-${n}`,
    );
    const checkout = (intent as unknown as { checkout: { pay_url: string } }).checkout;
    await payOnline(checkout.pay_url, amount, `demo-catalog-paid-${intent.id}`);
  }
}

/** Benefits of several kinds, all active; returns the discount the paid package grants. */
async function seedBenefits(post: Post): Promise<string> {
  await post(
    "/v1/benefits",
    {
      kind: "member_pricing",
      name: "会员专享价",
      brief: "拿铁、蛋糕享会员价",
      config: {
        prices: [
          { sku: "LATTE", price: 2_800 },
          { sku: "CAKE-SLICE", price: 3_200 },
        ],
      },
      status: "active",
    },
    "benefit-pricing",
  );
  await post(
    "/v1/benefits",
    {
      kind: "member_discount",
      name: "金卡及以上95折",
      brief: "金卡、钻石卡会员全场95折",
      audience: { card_plans: [CARD_PLAN], min_tier: "gold" },
      config: { discount_percent: 5 },
      status: "active",
    },
    "benefit-gold-discount",
  );
  const diamond = await post(
    "/v1/benefits",
    {
      kind: "member_discount",
      name: "钻石卡88折",
      brief: "钻石卡会员及权益包用户全场88折",
      audience: { card_plans: [CARD_PLAN], tiers: ["diamond"] },
      config: { discount_percent: 12 },
      status: "active",
    },
    "benefit-diamond-discount",
  );
  await post(
    "/v1/benefits",
    {
      kind: "birthday",
      name: "生日月双倍积分",
      brief: "生日当月消费9折并享双倍积分",
      config: { period: "month", discount_percent: 10, points_multiplier: "2" },
      status: "active",
    },
    "benefit-birthday",
  );
  await post(
    "/v1/benefits",
    {
      kind: "multiplier_points",
      name: "钻石卡1.5倍积分",
      brief: "钻石卡会员消费积分1.5倍",
      audience: { card_plans: [CARD_PLAN], tiers: ["diamond"] },
      config: { multiplier: "1.5" },
      status: "active",
    },
    "benefit-points",
  );
  return diamond.id;
}

/** A paid benefit package (monthly or quarterly), bought with balance by two members. */
async function seedBenefitPackage(post: Post, discountId: string, members: Members, stores: Stores) {
  const pkg = await post(
    "/v1/packages",
    {
      name: "尊享会员权益包",
      tags: ["热卖"],
      channels: ["POS", "ONLINE"],
      sales_rules: [
        { key: "monthly", duration_days: 30, original_price: 3_900, first_purchase_price: 2_900 },
        { key: "quarterly", duration_days: 90, original_price: 9_900, first_purchase_price: 7_900 },
      ],
      perks: [
        {
          type: "first_purchase_gift",
          key: "welcome",
          name: "首购送积分",
          applicable_rules: "all",
          bonus_points: 300,
        },
        {
          type: "member_discount",
          key: "discount",
          name: "全场88折",
          applicable_rules: "all",
          benefit_id: discountId,
        },
      ],
    },
    "package",
  );
  await post(`/v1/packages/${pkg.id}/activate`, {}, "package-activate");
  const buyers: [string, string, Store][] = [
    ["陈雨桐", "quarterly", "sh"],
    ["李嘉怡", "monthly", "bj"],
  ];
  for (const [name, rule, store] of buyers)
    await post(
      "/v1/package-orders",
      {
        package_id: pkg.id,
        member_id: member(members, name),
        rule_key: rule,
        channel: "POS",
        store_id: stores[store],
        payment_method: "balance",
      },
      `package-order-${rule}`,
    );
}

/** Cards sold from the demo's gift card plan (paid at the desk, one by balance); one part spent. */
async function seedGiftCards(call: Call, post: Post, members: Members): Promise<void> {
  const plan = (await call("GET", "/v1/gift-card-plans")).data[0];
  if (!plan) return;
  const sale = await post(
    "/v1/gift-cards",
    {
      plan_id: plan.id,
      amount: 20_000,
      channel: "ONLINE",
      buyer: { name: "周梦琪", phone: "13900000008" },
      recipient: { name: "周妈妈", message: "中秋快乐，阖家团圆" },
      payment: { method: "offline", ref: "POS-GC-0001" },
    },
    "gift-card-1",
  );
  await post(
    "/v1/gift-cards",
    {
      plan_id: plan.id,
      amount: 50_000,
      channel: "ONLINE",
      buyer_member_id: member(members, "王思远"),
      holder_member_id: member(members, "王思远"),
      payment: { method: "offline", ref: "POS-GC-0002" },
    },
    "gift-card-2",
  );
  await post(
    "/v1/gift-cards",
    {
      plan_id: plan.id,
      amount: 30_000,
      channel: "ONLINE",
      buyer_member_id: member(members, "黄俊杰"),
      payment: { method: "balance", member_id: member(members, "黄俊杰") },
    },
    "gift-card-3",
  );
  const sold = (sale as unknown as { card: { id: string } }).card;
  await post(`/v1/gift-cards/${sold.id}/redeem`, { amount: 6_800, channel: "ONLINE" }, "gift-card-redeem");
}

/**
 * Vouchers: the Harbour reseller gets a quota and issues its template to its two customers
 * (seed 002), and two members get a birthday voucher.
 */
async function seedVouchers(call: Call, post: Post, members: Members, now: Date): Promise<void> {
  const units = (await call("GET", "/v1/org-units?limit=100")).data;
  const unit = (code: string) => units.find((u) => u.code === code)?.id;
  const reseller = unit("RES-HARBOUR");
  const customers = [unit("CUS-BUND-CAFE"), unit("CUS-LJZ-BOOKS")].filter((c): c is string => !!c);
  if (reseller && customers.length > 0) {
    await post(
      "/v1/voucher-quotas/adjustments",
      { reseller_id: reseller, asset: "CNY", delta: 100_000, reason: "第一季度代金券额度" },
      "voucher-quota",
    );
    const template = await post(
      "/v1/voucher-templates",
      {
        owner_id: reseller,
        name: "外滩门店50元代金券",
        face_value: { amount: 5_000, asset: "CNY" },
        validity: { kind: "relative", valid_days: 60 },
        scope: { kind: "all" },
        min_bill_amount: 20_000,
      },
      "voucher-template",
    );
    await post(
      `/v1/voucher-templates/${template.id}/issue`,
      { recipients: customers.map((customer_id) => ({ customer_id })) },
      "voucher-issue",
    );
  }
  const expires = new Date(now.getTime() + 30 * 86_400_000).toISOString();
  for (const name of ["赵可欣", "马晓燕"])
    await post(
      `/v1/members/${member(members, name)}/vouchers`,
      { face_value: { amount: 1_000, asset: "CNY" }, expires_at: expires },
      `member-voucher-${member(members, name)}`,
    );
}

/** Two till orders paid with balance: one completed, one refunded. */
async function seedCheckoutOrders(post: Post, members: Members, stores: Stores): Promise<void> {
  const order = (name: string, store: Store, ref: string) =>
    post(
      "/v1/checkout/orders",
      {
        member_id: member(members, name),
        channel: "POS",
        store_id: stores[store],
        lines: [
          { sku: "LATTE", category: "drinks", quantity: 2, unit_price: 3_200 },
          { sku: "CAKE-SLICE", category: "bakery", quantity: 1, unit_price: 3_800 },
        ],
        pay_with_balance: true,
        rest_paid: "offline",
        client_order_id: ref,
      },
      `checkout-${ref}`,
    );
  await order("徐静怡", "sh", "POS-SH-0001");
  const refunded = await order("马晓燕", "bj", "POS-BJ-0001");
  await post(`/v1/checkout/orders/${refunded.id}/refund`, { reason: "顾客退货" }, "checkout-refund");
}

/** A student's verification waiting for review, with the ID photo the member uploaded. */
async function seedStudentVerification(post: Post, members: Members, now: Date): Promise<void> {
  const student = member(members, "赵可欣");
  const photo = await post(`/v1/members/${student}/student-id-images`, STUDENT_ID_PHOTO, "student-photo");
  const graduation = DateTime.fromJSDate(now, { zone: ZONE }).plus({ years: 2 }).set({ month: 6, day: 30 });
  await post(
    "/v1/student-verifications",
    {
      member_id: student,
      school: "华东师范大学",
      student_number: "10222010042",
      graduation_date: graduation.toISODate(),
      image_id: photo.id,
    },
    "student-verification",
  );
}

function member(members: Members, name: string): string {
  const id = members.get(name);
  if (!id) throw new Error(`no demo member ${name}`);
  return id;
}
