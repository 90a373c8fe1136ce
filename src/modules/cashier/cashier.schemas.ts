import { Type } from "typebox";
import {
  ProviderRefundFields,
  providerRefundTotals,
  RefundRecordOrNull,
} from "../../platform/http/record-refund.js";
import {
  Amount,
  IdParam,
  ListQuery,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { CHECKOUT_DESCRIPTION, PaymentSceneField, ReturnUrlField } from "../wallets/index.js";
import {
  ORDER_STATUSES,
  type OrderRow,
  PAID_BY,
  PAYMENT_STATUSES,
  type PaymentRow,
} from "./cashier.repository.js";

const Str = Type.String();
const Int = Type.Integer();

/** An order may stay payable for a day at most; by default for half an hour. */
export const MAX_EXPIRY_MINUTES = 24 * 60;
export const DEFAULT_EXPIRY_MINUTES = 30;
export const MAX_ITEMS = 100;

const Item = Obj({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
  unit_amount: Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: "Minor units" }),
});

export const CreateOrderBody = Obj(
  {
    member_id: IdParam,
    items: Type.Array(Item, { minItems: 1, maxItems: MAX_ITEMS }),
    total: Amount,
    currency: Type.Optional(
      Type.String({
        maxLength: 16,
        pattern: "^[A-Z][A-Z0-9_]{1,15}$",
        description: "Default: the balance asset",
      }),
    ),
    merchant_order_ref: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: "^[A-Za-z0-9._:/-]+$",
      description: "The merchant's own order number: one cashier order per reference",
    }),
    return_url: Type.Optional(Type.String({ maxLength: 1024, pattern: "^https?://[^\\s]+$" })),
    expires_in_minutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_EXPIRY_MINUTES, default: DEFAULT_EXPIRY_MINUTES }),
    ),
  },
  {
    examples: [
      {
        member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
        items: [
          { name: "拿铁 Latte", quantity: 2, unit_amount: 3_200 },
          { name: "可颂 Croissant", quantity: 1, unit_amount: 1_800 },
        ],
        total: 8_200,
        merchant_order_ref: "SO-2026-1001",
        return_url: "https://shop.example.com/orders/SO-2026-1001",
        expires_in_minutes: 30,
      },
    ],
  },
);

const Payment = Type.Object({
  id: Str,
  object: Type.Literal("cashier_payment"),
  kind: StringEnum(PAID_BY),
  status: StringEnum(PAYMENT_STATUSES, {
    description:
      "refund_due: the provider collected the online part too late to pay the order; owed back to the member until finance records the refund (refunded)",
  }),
  balance_amount: Int,
  online_amount: Int,
  provider: Nullable(Str),
  checkout: Nullable(Type.Record(Str, Type.Unknown(), { description: CHECKOUT_DESCRIPTION })),
  expires_at: Nullable(Timestamp),
  wallet_payment_id: Nullable(Str),
  topup_id: Nullable(Str),
  refund_record: RefundRecordOrNull,
  ...ProviderRefundFields,
  refund_outstanding: Type.Integer({
    minimum: 0,
    description:
      "Still owed back to the member (minor units): for a refund_due attempt, the online part less refunded_amount; 0 for any other status",
  }),
  created_at: Timestamp,
});

export const CashierOrder = Type.Object(
  {
    id: Str,
    object: Type.Literal("cashier_order"),
    member_id: Str,
    member_name: Type.Optional(Type.String({ description: "The member's name (in lists)" })),
    merchant_order_ref: Str,
    currency: Str,
    items: Type.Array(Type.Object({ name: Str, quantity: Int, unit_amount: Int })),
    total: Int,
    status: StringEnum(ORDER_STATUSES, {
      description:
        "open → pending_payment → paid; partially_refunded / refunded once some / all of a paid order's money was given back (its balance payment refunded at the wallets, its online part at the provider); cancelled; expired",
    }),
    paid_by: Nullable(StringEnum(PAID_BY)),
    return_url: Nullable(Str),
    expires_at: Timestamp,
    paid_at: Nullable(Timestamp),
    refunded_amount: Type.Integer({
      minimum: 0,
      description:
        "Given back to the member since the order was paid (minor units): balance refunds plus the provider's refunds of the online part; 0 until then",
    }),
    refunded_at: Type.Union([Timestamp, Type.Null()], {
      description: "When the last of its money was given back (refunded); null until then",
    }),
    payments: Type.Array(Payment),
    link: Type.Optional(
      Type.Object({
        url: Type.String({
          description: "Absolute: redirect the member to it; the code in it works once, for 5 minutes",
        }),
        path: Str,
        expires_at: Timestamp,
      }),
    ),
    created_at: Timestamp,
  },
  {
    $id: "CashierOrder",
    examples: [
      {
        id: "cso_01jd3m2x4y5z6a7b8c9d0e1f2g",
        object: "cashier_order",
        member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
        merchant_order_ref: "SO-2026-1001",
        currency: "CNY",
        items: [{ name: "拿铁 Latte", quantity: 2, unit_amount: 3_200 }],
        total: 6_400,
        status: "paid",
        paid_by: "balance",
        return_url: null,
        expires_at: "2026-11-23T08:30:00.000Z",
        paid_at: "2026-11-23T08:02:00.000Z",
        refunded_amount: 0,
        refunded_at: null,
        payments: [
          {
            id: "csp_01jd3m2x4y5z6a7b8c9d0e1f2g",
            object: "cashier_payment",
            kind: "balance",
            status: "succeeded",
            balance_amount: 6_400,
            online_amount: 0,
            provider: null,
            checkout: null,
            expires_at: null,
            wallet_payment_id: "wpay_01jd3m2x4y5z6a7b8c9d0e1f2g",
            topup_id: null,
            refund_record: null,
            refunded_amount: 0,
            refund_count: 0,
            refund_outstanding: 0,
            created_at: "2026-11-23T08:02:00.000Z",
          },
        ],
        created_at: "2026-11-23T08:00:00.000Z",
      },
    ],
  },
);

export const IdParams = Obj({ id: IdParam });

export const OrderQuery = Obj({
  ...ListQuery,
  status: Type.Optional(StringEnum(ORDER_STATUSES)),
  member_id: Type.Optional(IdParam),
  payment_status: Type.Optional(
    StringEnum(PAYMENT_STATUSES, {
      description: "Orders with an attempt in this status (refund_due: finance's list of refunds to make)",
    }),
  ),
});

export const PaymentParams = Obj({ id: IdParam, payment_id: IdParam });

export const PayBody = Obj(
  {
    balance_amount: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000_000_000,
        description:
          "What the balance pays; default the whole total. Less than the total: the balance part is held and the rest is paid online",
      }),
    ),
    payment_scene: Type.Optional(PaymentSceneField),
    return_url: Type.Optional(ReturnUrlField),
  },
  { examples: [{}, { balance_amount: 5_000 }] },
);

export const SmartTopupBody = Obj(
  {
    plan_id: IdParam,
    tier_index: Type.Integer({ minimum: 0, maximum: 8 }),
    payment_scene: Type.Optional(PaymentSceneField),
    return_url: Type.Optional(ReturnUrlField),
  },
  { examples: [{ plan_id: "stp_01jd3m2x4y5z6a7b8c9d0e1f2g", tier_index: 0 }] },
);

export const WebhookParams = Obj({ provider: IdParam, tenant_id: IdParam });

export const WebhookReceipt = Type.Object({
  object: Type.Literal("webhook_receipt"),
  payment_id: Type.Union([Str, Type.Null()], {
    description:
      "null for a notice of a payment that is no cashier attempt here (refund_ignored, payment_ignored)",
  }),
  result: StringEnum([
    "paid",
    "failed",
    "expired",
    "refund_due",
    "already_settled",
    "refund_ignored",
    "payment_ignored",
    "refund_recorded",
  ] as const),
});

/** An order as the API shows it, its status as of `now` (an open order past its time reads expired). */
export function serializeOrder(
  order: OrderRow,
  payments: PaymentRow[],
  now: Date,
  link?: { url: string; path: string; expiresAt: Date },
) {
  return {
    id: order.id,
    object: "cashier_order" as const,
    member_id: order.member_id,
    merchant_order_ref: order.merchant_order_ref,
    currency: order.currency,
    items: order.items,
    total: order.total,
    status: effectiveStatus(order, now),
    paid_by: order.paid_by,
    return_url: order.return_url,
    expires_at: order.expires_at.toISOString(),
    paid_at: order.paid_at?.toISOString() ?? null,
    refunded_amount: order.refunded_amount,
    refunded_at: order.refunded_at?.toISOString() ?? null,
    payments: payments.map((p) => ({
      id: p.id,
      object: "cashier_payment" as const,
      kind: p.kind,
      status: p.status,
      balance_amount: p.balance_amount,
      online_amount: p.online_amount,
      provider: p.provider,
      checkout: p.checkout,
      expires_at: p.expires_at?.toISOString() ?? null,
      wallet_payment_id: p.wallet_payment_id,
      topup_id: p.topup_id,
      refund_record: p.refund_record,
      ...refundProgress(p),
      created_at: p.created_at.toISOString(),
    })),
    ...(link ? { link: { url: link.url, path: link.path, expires_at: link.expiresAt.toISOString() } } : {}),
    created_at: order.created_at.toISOString(),
  };
}

/**
 * For finance, how far the provider has refunded an attempt (each refund id once, as recorded)
 * and what is still owed: only a `refund_due` attempt owes anything, never less than nothing.
 */
function refundProgress(p: Pick<PaymentRow, "status" | "online_amount" | "provider_refunds">) {
  const totals = providerRefundTotals(p.provider_refunds);
  const outstanding = p.status === "refund_due" ? Math.max(0, p.online_amount - totals.refunded_amount) : 0;
  return { ...totals, refund_outstanding: outstanding };
}

/** Expiry needs no job: an order still open at its time is expired from then on. */
export function effectiveStatus(order: Pick<OrderRow, "status" | "expires_at">, now: Date) {
  return order.status === "open" && order.expires_at.getTime() <= now.getTime() ? "expired" : order.status;
}
