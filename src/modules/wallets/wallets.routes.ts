import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { voidExpiredHolds } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { ALL_STAFF, definePermissions, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  Amount,
  AssetCode,
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import { DomainError } from "../../shared/errors.js";
import { findVisibleMember } from "../members/index.js";
import { exportTable } from "../vouchers/index.js";
import { listChanges, MAX_EXPORT_ROWS, rewardTotals } from "./balance-changes.js";
import { changePoints, MAX_POINTS_PER_OPERATION } from "./change-points.js";
import { confirmTopup } from "./confirm-topup.js";
import { createTopupIntent } from "./create-topup-intent.js";
import { exchangePoints } from "./exchange-points.js";
import { grantReward } from "./grant-reward.js";
import { MAX_ORDER_LINES, payWithBalance } from "./pay-with-balance.js";
import { paymentProviders } from "./payment-providers.js";
import { pointsTotal } from "./points-lots.js";
import { REAL_PROVIDERS } from "./providers/provider-configs.js";
import { refundPayment } from "./refund-payment.js";
import { resolvePayment } from "./resolve-payment.js";
import { topUpOffline } from "./top-up-offline.js";
import { updateWalletSettings } from "./update-settings.js";
import { walletTotals } from "./wallet-totals.js";
import { memberBalance, readLots, readMemberBalance, type UnitOfWork } from "./wallets.ledger.js";
import {
  CHANGE_KINDS,
  type ChangeRow,
  findPayment,
  type IntentRow,
  loadSettings,
  type PaymentRow,
  REWARD_SOURCES,
  type WalletSettings,
} from "./wallets.repository.js";
import { withdrawOffline } from "./withdraw-offline.js";
import "./wallets.errors.js";

definePermissions({
  "wallets.read": ALL_STAFF,
  "wallets.operate": OPERATORS,
  "wallets.pay": OPERATORS,
  "wallets.settings": MANAGERS,
});

const Note = Type.String({ minLength: 1, maxLength: 500 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const ACCOUNTS = ["balance", "points", "referral_points"] as const;
const Ratio = Type.String({
  pattern: "^[0-9]{1,9}(\\.[0-9]{1,4})?$",
  description: 'Points per one major unit of the balance asset, an exact decimal ("100": 100 points = 1.00)',
  examples: ["100"],
});

const Settings = Type.Object(
  {
    object: Type.Literal("wallet_settings"),
    asset: Type.Object({
      code: Type.String(),
      scale: Type.Integer(),
      symbol: Nullable(Type.String()),
      name: Type.String(),
    }),
    spend_order: StringEnum(["bonus_first", "principal_first"] as const),
    hide_balance_in_member_center: Type.Boolean(),
    balance_payment_enabled: Type.Boolean(),
    online_topup_enabled: Type.Boolean(),
    max_single_amount: Type.Integer({
      description: "Cap of one operation, minor units (default 1,000,000.00)",
    }),
    points_per_unit: Type.String(),
    points_validity_days: Nullable(Type.Integer()),
    payment_hold_timeout_seconds: Type.Integer(),
    topup_intent_ttl_seconds: Type.Integer(),
    payment_provider: Type.String(),
  },
  { $id: "WalletSettings" },
);

const Balance = Type.Object(
  {
    object: Type.Literal("balance"),
    member_id: Type.String(),
    asset: Type.String(),
    principal: Type.Integer(),
    bonus: Type.Integer(),
    total: Type.Integer({ description: "principal + bonus" }),
    held: Type.Integer({ description: "Reserved by pending balance payments" }),
    available: Type.Integer(),
    points: Type.Integer(),
    referral_points: Type.Integer(),
  },
  {
    $id: "MemberBalance",
    examples: [
      {
        object: "balance",
        member_id: "mbr_…",
        asset: "CNY",
        principal: 10000,
        bonus: 500,
        total: 10500,
        held: 0,
        available: 10500,
        points: 120,
        referral_points: 0,
      },
    ],
  },
);

const Change = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("balance_change"),
    member_id: Type.String(),
    account: StringEnum(ACCOUNTS),
    kind: StringEnum(CHANGE_KINDS),
    asset: Type.String(),
    amount: Type.Integer({ description: "Signed: + in, − out" }),
    principal_delta: Type.Integer(),
    bonus_delta: Type.Integer(),
    balance_after: Type.Integer({
      description: "The account's running balance right after (balance: principal + bonus)",
    }),
    reason: Nullable(Type.String()),
    note: Nullable(Type.String()),
    source: Nullable(Type.String()),
    source_ref: Nullable(Type.String()),
    order_id: Nullable(Type.String()),
    payment_id: Nullable(Type.String()),
    lots: Nullable(
      Type.Array(Type.Object({ lot_id: Type.String(), kind: Type.String(), amount: Type.Integer() }), {
        description: "Tagged top-up lots this change moved (signed amounts)",
      }),
    ),
    actor_type: Type.String(),
    actor_id: Type.String(),
    created_at: Timestamp,
  },
  { $id: "BalanceChange" },
);

const Payment = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("wallet_payment"),
    member_id: Type.String(),
    order_id: Type.String(),
    currency: Type.String(),
    amount_due: Type.Integer(),
    balance_amount: Type.Integer(),
    external_amount: Type.Integer(),
    external_method: StringEnum(["none", "online", "offline"] as const),
    status: StringEnum(["held", "paid", "voided", "expired"] as const),
    principal_amount: Type.Integer(),
    bonus_amount: Type.Integer(),
    refunded_amount: Type.Integer(),
    timeout_at: Nullable(Timestamp),
    lines: Type.Array(Type.Unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "WalletPayment" },
);

const Refund = Type.Object({
  id: Type.String(),
  object: Type.Literal("wallet_refund"),
  payment_id: Type.String(),
  amount: Type.Integer(),
  principal_amount: Type.Integer(),
  bonus_amount: Type.Integer(),
  reason: Nullable(Type.String()),
  created_at: Timestamp,
});

const Intent = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("topup_intent"),
    member_id: Type.String(),
    asset: Type.String(),
    amount: Type.Integer(),
    provider: Type.String(),
    status: StringEnum(["pending", "succeeded", "failed", "expired"] as const),
    checkout: Type.Record(Type.String(), Type.Unknown(), {
      description: "What the member's client needs to pay",
    }),
    expires_at: Timestamp,
    completed_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: "TopupIntent" },
);

const OperationResult = Type.Object({
  object: Type.Literal("balance_operation"),
  change_id: Type.String(),
  balance: Balance,
});

function serializeChange(r: ChangeRow) {
  return {
    object: "balance_change" as const,
    ...r,
    tenant_id: undefined,
    created_at: r.created_at.toISOString(),
  };
}

function serializePayment(p: PaymentRow, refunded: number) {
  return {
    id: p.id,
    object: "wallet_payment" as const,
    member_id: p.member_id,
    order_id: p.order_id,
    currency: p.currency,
    amount_due: p.amount_due,
    balance_amount: p.balance_amount,
    external_amount: p.external_amount,
    external_method: p.external_method,
    status: p.status,
    principal_amount: p.principal_amount,
    bonus_amount: p.bonus_amount,
    refunded_amount: refunded,
    timeout_at: p.timeout_at ? p.timeout_at.toISOString() : null,
    lines: p.lines,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

function serializeIntent(i: IntentRow) {
  return {
    id: i.id,
    object: "topup_intent" as const,
    member_id: i.member_id,
    asset: i.asset,
    amount: i.amount,
    provider: i.provider,
    status: i.status,
    checkout: i.checkout,
    expires_at: i.expires_at.toISOString(),
    completed_at: i.completed_at ? i.completed_at.toISOString() : null,
    created_at: i.created_at.toISOString(),
  };
}

/** The member balance: settings, top-ups, withdrawals, rewards, points, payments, change log, totals. */
export async function walletsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, ledger } = deps;
  const providers = paymentProviders(deps.config.signingSecret);
  const ctxOf = (request: FastifyRequest) => ({ actor: request.actor, requestId: request.id });

  async function settingsBody(tenantId: string, s: WalletSettings) {
    const asset = await db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("ledger_assets")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("code", "=", s.asset)
        .executeTakeFirstOrThrow(),
    );
    return {
      object: "wallet_settings" as const,
      asset: { code: asset.code, scale: asset.scale, symbol: asset.symbol, name: asset.name },
      spend_order: s.spend_order,
      hide_balance_in_member_center: s.hide_balance_in_member_center,
      balance_payment_enabled: s.balance_payment_enabled,
      online_topup_enabled: s.online_topup_enabled,
      max_single_amount: s.max_single_amount,
      points_per_unit: s.points_per_unit,
      points_validity_days: s.points_validity_days,
      payment_hold_timeout_seconds: s.payment_hold_timeout_seconds,
      topup_intent_ttl_seconds: s.topup_intent_ttl_seconds,
      payment_provider: s.payment_provider,
    };
  }

  /** The balance a caller may see: a member token is refused while the balance is hidden. */
  async function balanceOf(actor: Actor, memberId: string) {
    const tenantId = actor.tenantId;
    const now = clock.now();
    return db.tenantTx(tenantId, async (trx) => {
      const settings = await loadSettings(trx, tenantId, now);
      await findVisibleMember(trx, actor, memberId);
      if (actor.type === "member" && settings.hide_balance_in_member_center) {
        throw new DomainError("balance_hidden", "The balance is hidden in the member center");
      }
      const b = await readMemberBalance(trx, tenantId, memberId);
      const points = (await readLots(trx, tenantId, memberId, "points", now)).reduce(
        (s, l) => s + l.balance,
        0,
      );
      const referral = (await readLots(trx, tenantId, memberId, "referral_points", now)).reduce(
        (s, l) => s + l.balance,
        0,
      );
      return {
        object: "balance" as const,
        member_id: memberId,
        asset: settings.asset,
        principal: b.principal,
        bonus: b.bonus,
        total: b.total,
        held: b.held,
        available: b.available,
        points,
        referral_points: referral,
      };
    });
  }

  // ---- settings -----------------------------------------------------------------------
  app.get(
    "/v1/wallet-settings",
    {
      config: { permission: "wallets.read" },
      schema: {
        tags: ["wallets"],
        summary: "The tenant's balance settings",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const s = await db.tenantTx(tenantId, (trx) => loadSettings(trx, tenantId, clock.now()));
      return settingsBody(tenantId, s);
    },
  );

  app.patch(
    "/v1/wallet-settings",
    {
      config: { permission: "wallets.settings" },
      schema: {
        tags: ["wallets"],
        summary: "Change the balance settings (the asset only while no member holds a balance)",
        body: Obj(
          {
            asset: Type.Optional(
              Obj(
                {
                  code: AssetCode,
                  scale: Type.Integer({ minimum: 0, maximum: 8 }),
                  symbol: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 8 }))),
                  name: Type.String({ minLength: 1, maxLength: 64 }),
                },
                { description: "An ISO currency, or the tenant's own (e.g. GOLD with symbol ★)" },
              ),
            ),
            spend_order: Type.Optional(StringEnum(["bonus_first", "principal_first"] as const)),
            hide_balance_in_member_center: Type.Optional(Type.Boolean()),
            balance_payment_enabled: Type.Optional(Type.Boolean()),
            online_topup_enabled: Type.Optional(Type.Boolean()),
            max_single_amount: Type.Optional(Amount),
            points_per_unit: Type.Optional(Ratio),
            points_validity_days: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3660 }))),
            payment_hold_timeout_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800 })),
            topup_intent_ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
            payment_provider: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          },
          { minProperties: 1 },
        ),
        response: { 200: Settings, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const s = await db.tenantTx(tenantId, (trx) =>
        updateWalletSettings(trx, ctxOf(request), request.body, clock.now(), [
          ...providers.keys(),
          ...REAL_PROVIDERS,
        ]),
      );
      return settingsBody(tenantId, s);
    },
  );

  // ---- balance and operator operations ------------------------------------------------
  app.get(
    "/v1/members/:id/balance",
    {
      config: { permission: "wallets.read", member: true },
      schema: {
        tags: ["wallets"],
        summary: "A member's balance (principal, bonus, held, available) and points",
        description:
          "A member token reads only its own, and not while the balance is hidden in the member center.",
        params: Obj({ id: IdParam }),
        response: { 200: Balance, ...errorResponses() },
      },
    },
    async (request) => balanceOf(request.actor, request.params.id),
  );

  const MemberParams = Obj({ id: IdParam });

  app.post(
    "/v1/members/:id/top-ups",
    {
      config: { permission: "wallets.operate", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Offline top-up by an operator (money received outside the system)",
        params: MemberParams,
        body: Obj(
          {
            amount: Amount,
            bonus_amount: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: Number.MAX_SAFE_INTEGER,
                description: "Credited to bonus",
              }),
            ),
            reason: Type.Optional(Note),
            note: Type.Optional(Note),
          },
          { examples: [{ amount: 10000, bonus_amount: 500, reason: "Cash at front desk" }] },
        ),
        response: { 201: OperationResult, ...errorResponses(422) },
      },
    },
    async (request, reply) =>
      memberOperation(request, reply, request.params.id, async (uow) => {
        const r = await topUpOffline(
          uow,
          ctxOf(request),
          {
            memberId: request.params.id,
            amount: request.body.amount,
            bonusAmount: request.body.bonus_amount,
            reason: request.body.reason,
            note: request.body.note,
          },
          clock.now(),
        );
        return r;
      }),
  );

  /**
   * A value-moving operation on one member: idempotent, one unit of work, answered with
   * the change's id and the member's balance as the unit left it (plus `extra` fields).
   */
  function memberOperation<E extends object = object>(
    request: FastifyRequest,
    reply: FastifyReply,
    memberId: string,
    run: (uow: UnitOfWork) => Promise<{ change_id: string; extra?: E }>,
  ) {
    return runIdempotent(request, reply, deps, async (record) =>
      ledger.run(request.actor.tenantId, async (uow) => {
        const r = await run(uow);
        const body = await operationBody(memberId, r.change_id, uow);
        return record(uow, 201, { ...body, ...(r.extra as E) });
      }),
    );
  }

  /** The response of an operation: the change and the balance as the unit left it. */
  async function operationBody(memberId: string, changeId: string, uow: UnitOfWork) {
    const settings = await loadSettings(uow.trx, uow.tenantId, clock.now());
    const b = await memberBalance(uow, memberId);
    return {
      object: "balance_operation" as const,
      change_id: changeId,
      balance: {
        object: "balance" as const,
        member_id: memberId,
        asset: settings.asset,
        principal: b.principal,
        bonus: b.bonus,
        total: b.total,
        held: b.held,
        available: b.available,
        points: await pointsTotal(uow, "points", memberId, clock.now()),
        referral_points: await pointsTotal(uow, "referral_points", memberId, clock.now()),
      },
    };
  }

  app.post(
    "/v1/members/:id/withdrawals",
    {
      config: { permission: "wallets.operate", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Offline withdrawal: record a manual reduction (never above the available balance)",
        params: MemberParams,
        body: Obj({ amount: Amount, reason: Type.Optional(Note), note: Type.Optional(Note) }),
        response: { 201: OperationResult, ...errorResponses(422) },
      },
    },
    async (request, reply) =>
      memberOperation(request, reply, request.params.id, async (uow) => {
        const r = await withdrawOffline(
          uow,
          ctxOf(request),
          { memberId: request.params.id, ...request.body },
          clock.now(),
        );
        return r;
      }),
  );

  app.post(
    "/v1/members/:id/rewards",
    {
      config: { permission: "wallets.operate", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Grant a reward in balance (to bonus), points or referral points, from a named source",
        params: MemberParams,
        body: Obj({
          account: StringEnum(ACCOUNTS),
          amount: Amount,
          source: StringEnum(REWARD_SOURCES),
          source_ref: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, description: "e.g. the form submission id" }),
          ),
          note: Type.Optional(Note),
        }),
        response: { 201: OperationResult, ...errorResponses(422) },
      },
    },
    async (request, reply) =>
      memberOperation(request, reply, request.params.id, async (uow) => {
        const b = request.body;
        const r = await grantReward(
          uow,
          ctxOf(request),
          {
            memberId: request.params.id,
            account: b.account,
            amount: b.amount,
            source: b.source,
            sourceRef: b.source_ref,
            note: b.note,
          },
          clock.now(),
        );
        return r;
      }),
  );

  app.get(
    "/v1/members/:id/reward-totals",
    {
      config: { permission: "wallets.read", member: true },
      schema: {
        tags: ["wallets"],
        summary: "Cumulative rewards a member received, per account and source",
        params: MemberParams,
        response: {
          200: Type.Object({
            object: Type.Literal("reward_totals"),
            member_id: Type.String(),
            data: Type.Array(
              Type.Object({
                account: Type.String(),
                source: Type.String(),
                asset: Type.String(),
                total: Type.Integer(),
                count: Type.Integer(),
              }),
            ),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        await findVisibleMember(trx, request.actor, request.params.id);
        return {
          object: "reward_totals" as const,
          member_id: request.params.id,
          data: await rewardTotals(trx, request.actor.tenantId, request.params.id),
        };
      }),
  );

  app.post(
    "/v1/members/:id/points",
    {
      config: { permission: "wallets.operate", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Earn, spend or adjust points (spending takes the lots expiring first)",
        params: MemberParams,
        body: Obj({
          operation: StringEnum(["earn", "spend", "adjust"] as const),
          kind: Type.Optional(StringEnum(["points", "referral_points"] as const)),
          points: Type.Integer({
            minimum: -MAX_POINTS_PER_OPERATION,
            maximum: MAX_POINTS_PER_OPERATION,
            description: "Positive; adjust may be negative",
          }),
          reason: Type.Optional(Note),
          reference: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        }),
        response: { 201: OperationResult, ...errorResponses(422) },
      },
    },
    async (request, reply) =>
      memberOperation(request, reply, request.params.id, async (uow) => {
        const b = request.body;
        const r = await changePoints(
          uow,
          ctxOf(request),
          {
            memberId: request.params.id,
            operation: b.operation,
            kind: b.kind,
            delta: b.points,
            reason: b.reason,
            reference: b.reference,
          },
          clock.now(),
        );
        return r;
      }),
  );

  app.post(
    "/v1/members/:id/exchanges",
    {
      config: { permission: "wallets.operate", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Exchange points or referral points into balance (bonus); rounded down to the minor unit",
        params: MemberParams,
        body: Obj(
          {
            from: StringEnum(["points", "referral_points"] as const),
            points: Type.Integer({ minimum: 1, maximum: MAX_POINTS_PER_OPERATION }),
            points_per_unit: Type.Optional(Ratio),
            note: Type.Optional(Note),
          },
          { examples: [{ from: "points", points: 1500, points_per_unit: "100" }] },
        ),
        response: {
          201: Type.Object({
            ...OperationResult.properties,
            credited: Type.Integer(),
            points_per_unit: Type.String(),
          }),
          ...errorResponses(422),
        },
      },
    },
    async (request, reply) =>
      memberOperation(request, reply, request.params.id, async (uow) => {
        const b = request.body;
        const r = await exchangePoints(
          uow,
          ctxOf(request),
          {
            memberId: request.params.id,
            from: b.from,
            points: b.points,
            pointsPerUnit: b.points_per_unit,
            note: b.note,
          },
          clock.now(),
        );
        return {
          change_id: r.change_id,
          extra: { credited: r.credited, points_per_unit: r.points_per_unit },
        };
      }),
  );

  // ---- balance payments ---------------------------------------------------------------
  async function paymentBody(tenantId: string, payment: PaymentRow) {
    const refunded = await db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("wallet_refunds")
        .select((eb) => eb.fn.coalesce(eb.fn.sum<string>("amount"), eb.lit(0)).as("total"))
        .where("tenant_id", "=", tenantId)
        .where("payment_id", "=", payment.id)
        .executeTakeFirstOrThrow(),
    );
    return serializePayment(payment, Number(refunded.total));
  }

  app.post(
    "/v1/wallet-payments",
    {
      config: { permission: "wallets.pay", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Pay an order by balance, wholly or partly",
        description:
          "external_method none: balance pays all (too little → insufficient_balance with the shortfall). online: the balance part is held until /confirm (or voided by /cancel or its timeout). offline: the balance part is taken at once. Only when the order's currency is the balance asset.",
        body: Obj(
          {
            member_id: IdParam,
            order_id: Type.String({ minLength: 1, maxLength: 128 }),
            currency: AssetCode,
            lines: Type.Array(
              Obj({
                sku: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
                name: Type.String({ minLength: 1, maxLength: 200 }),
                quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
                unit_amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
              }),
              { maxItems: MAX_ORDER_LINES },
            ),
            amount_due: Amount,
            balance_amount: Type.Optional(Amount),
            external_method: StringEnum(["none", "online", "offline"] as const),
            timeout_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800 })),
          },
          {
            examples: [
              {
                member_id: "mbr_…",
                order_id: "SO-1001",
                currency: "CNY",
                lines: [{ name: "Latte", quantity: 2, unit_amount: 1800 }],
                amount_due: 3600,
                balance_amount: 2000,
                external_method: "online",
              },
            ],
          },
        ),
        response: { 201: Payment, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      return runIdempotent(request, reply, deps, async (record) =>
        ledger.run(request.actor.tenantId, async (uow) => {
          const payment = await payWithBalance(
            uow,
            ctxOf(request),
            {
              memberId: b.member_id,
              orderId: b.order_id,
              currency: b.currency,
              lines: b.lines,
              amountDue: b.amount_due,
              balanceAmount: b.balance_amount,
              externalMethod: b.external_method,
              timeoutSeconds: b.timeout_seconds,
            },
            clock.now(),
          );
          return record(uow, 201, serializePayment(payment, 0));
        }),
      );
    },
  );

  app.get(
    "/v1/wallet-payments",
    {
      config: { permission: "wallets.read", member: true },
      schema: {
        tags: ["wallets"],
        summary: "Orders paid by balance, newest first (a member token: only its own)",
        querystring: Obj({
          ...ListQuery,
          member_id: Type.Optional(IdParam),
          order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          status: Type.Optional(StringEnum(["held", "paid", "voided", "expired"] as const)),
        }),
        response: { 200: listOf(Payment), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const memberId = actor.type === "member" ? actor.memberId! : request.query.member_id;
      if (actor.type === "member" && request.query.member_id && request.query.member_id !== memberId) {
        throw new DomainError("member_not_found", "Member not found");
      }
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        if (memberId) await findVisibleMember(trx, actor, memberId);
        else if (actor.orgUnitPath)
          throw new DomainError("validation_failed", "A scoped caller lists payments per member_id");
        let q = trx
          .selectFrom("wallet_payments")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .orderBy("id", "desc")
          .limit(limit + 1);
        if (memberId) q = q.where("member_id", "=", memberId);
        if (request.query.order_id) q = q.where("order_id", "=", request.query.order_id);
        if (request.query.status) q = q.where("status", "=", request.query.status);
        if (request.query.starting_after) q = q.where("id", "<", request.query.starting_after);
        return q.execute();
      });
      const page = toPage(rows, limit, (r) => r);
      return { ...page, data: await Promise.all(page.data.map((p) => paymentBody(actor.tenantId, p))) };
    },
  );

  async function visiblePayment(actor: Actor, id: string): Promise<PaymentRow> {
    return db.tenantTx(actor.tenantId, async (trx) => {
      const p = await findPayment(trx, actor.tenantId, { id });
      if (!p) throw new DomainError("payment_not_found", "Payment not found");
      try {
        await findVisibleMember(trx, actor, p.member_id);
      } catch {
        throw new DomainError("payment_not_found", "Payment not found");
      }
      return p;
    });
  }

  app.get(
    "/v1/wallet-payments/:id",
    {
      config: { permission: "wallets.read", member: true },
      schema: {
        tags: ["wallets"],
        summary: "A balance payment",
        params: Obj({ id: IdParam }),
        response: { 200: Payment, ...errorResponses() },
      },
    },
    async (request) =>
      paymentBody(request.actor.tenantId, await visiblePayment(request.actor, request.params.id)),
  );

  for (const [verb, outcome, summary] of [
    ["confirm", "succeeded", "The order's external payment succeeded: post the held balance part"],
    [
      "cancel",
      "failed",
      "The order's external payment failed or was abandoned: release the held balance part",
    ],
  ] as const) {
    app.post(
      `/v1/wallet-payments/:id/${verb}`,
      {
        config: { permission: "wallets.pay", idempotent: true },
        schema: {
          tags: ["wallets"],
          summary,
          params: Obj({ id: IdParam }),
          response: { 200: Payment, ...errorResponses(409, 422) },
        },
      },
      async (request, reply) => {
        const payment = await visiblePayment(request.actor, request.params.id);
        if (outcome === "failed" && payment.timeout_at && payment.timeout_at <= clock.now()) {
          // Past its timeout only the ledger's expiry voids the hold: let it run first.
          await voidExpiredHolds(ledger, request.actor.tenantId, clock.now());
        }
        return runIdempotent(request, reply, deps, async (record) =>
          ledger.run(request.actor.tenantId, async (uow) => {
            const p = await resolvePayment(
              uow,
              ctxOf(request),
              { paymentId: request.params.id, outcome },
              clock.now(),
            );
            return record(uow, 200, serializePayment(p, 0));
          }),
        );
      },
    );
  }

  app.post(
    "/v1/wallet-payments/:id/refunds",
    {
      config: { permission: "wallets.pay", idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Refund (part of) a balance payment back to the accounts that paid it",
        description:
          "Several refunds may follow; their total never exceeds what balance paid. Bonus gets its proportional share rounded down on the cumulative total; principal the rest.",
        params: Obj({ id: IdParam }),
        body: Obj({ amount: Amount, reason: Type.Optional(Note) }),
        response: { 201: Refund, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      await visiblePayment(request.actor, request.params.id);
      return runIdempotent(request, reply, deps, async (record) =>
        ledger.run(request.actor.tenantId, async (uow) => {
          const r = await refundPayment(
            uow,
            ctxOf(request),
            { paymentId: request.params.id, ...request.body },
            clock.now(),
          );
          return record(uow, 201, {
            id: r.id,
            object: "wallet_refund" as const,
            payment_id: r.payment_id,
            amount: r.amount,
            principal_amount: r.principal_amount,
            bonus_amount: r.bonus_amount,
            reason: r.reason,
            created_at: r.created_at.toISOString(),
          });
        }),
      );
    },
  );

  // ---- online top-up ------------------------------------------------------------------
  app.post(
    "/v1/members/:id/topup-intents",
    {
      config: { permission: "wallets.operate", member: true, idempotent: true },
      schema: {
        tags: ["wallets"],
        summary: "Start an online top-up (credited only when the provider confirms payment)",
        params: MemberParams,
        body: Obj({ amount: Amount }),
        response: { 201: Intent, ...errorResponses(422) },
      },
    },
    async (request, reply) =>
      runIdempotent(request, reply, deps, (record) =>
        createTopupIntent(
          db,
          ctxOf(request),
          providers,
          { memberId: request.params.id, amount: request.body.amount },
          clock.now(),
          (trx, intent) => record(trx, 201, serializeIntent(intent)),
        ),
      ),
  );

  app.get(
    "/v1/topup-intents/:id",
    {
      config: { permission: "wallets.read", member: true },
      schema: {
        tags: ["wallets"],
        summary: "An online top-up intent and its status",
        params: Obj({ id: IdParam }),
        response: { 200: Intent, ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const intent = await trx
          .selectFrom("wallet_topup_intents")
          .selectAll()
          .where("tenant_id", "=", request.actor.tenantId)
          .where("id", "=", request.params.id)
          .executeTakeFirst();
        if (!intent) throw new DomainError("topup_intent_not_found", "Top-up intent not found");
        try {
          await findVisibleMember(trx, request.actor, intent.member_id);
        } catch {
          throw new DomainError("topup_intent_not_found", "Top-up intent not found");
        }
        return serializeIntent(intent);
      }),
  );

  // The provider's confirmation: signature checked over the exact raw body.
  await app.register(async (webhooks) => {
    webhooks.removeContentTypeParser("application/json");
    webhooks.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) =>
      done(null, body),
    );
    webhooks.post(
      "/v1/payment-webhooks/:provider/:tenant_id",
      {
        config: { public: true },
        bodyLimit: 64 * 1024,
        schema: {
          tags: ["wallets"],
          summary: "Payment provider confirmation (signed): credits an online top-up exactly once",
          description:
            "The `test` provider signs with header x-test-signature: t=<unix seconds>,v1=<HMAC-SHA256 base64url of `t.body`>. A second confirmation of the same payment answers 409 topup_intent_closed and credits nothing.",
          params: Obj({ provider: IdParam, tenant_id: IdParam }),
          response: {
            200: Type.Object({
              object: Type.Literal("webhook_receipt"),
              intent_id: Type.String(),
              result: StringEnum(["credited", "failed", "expired"] as const),
            }),
            ...errorResponses(401, 409, 422),
          },
        },
      },
      async (request) => {
        const params = request.params as { provider: string; tenant_id: string };
        const provider = providers.get(params.provider);
        if (!provider) throw new DomainError("payment_provider_unknown", "Unknown payment provider");
        const raw = typeof request.body === "string" ? request.body : "";
        const now = clock.now();
        const outcome = await provider.parseWebhook(raw, request.headers, now);
        const tenantId = params.tenant_id;
        const exists = await db.systemTx((trx) =>
          trx.selectFrom("tenants").select("id").where("id", "=", tenantId).executeTakeFirst(),
        );
        if (!exists) throw new DomainError("topup_intent_not_found", "No top-up intent for this payment");
        const { result, intent } = await ledger.run(tenantId, (uow) =>
          confirmTopup(uow, provider.name, outcome, now),
        );
        return { object: "webhook_receipt" as const, intent_id: intent.id, result };
      },
    );
  });

  // ---- change log and totals ----------------------------------------------------------
  const ChangeQuery = {
    account: Type.Optional(StringEnum(ACCOUNTS)),
    kind: Type.Optional(Type.Array(StringEnum(CHANGE_KINDS), { maxItems: CHANGE_KINDS.length })),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  };

  app.get(
    "/v1/members/:id/balance-changes",
    {
      config: { permission: "wallets.read", member: true },
      schema: {
        tags: ["wallets"],
        summary: "A member's balance and points change log, newest first, with filters",
        params: MemberParams,
        querystring: Obj({ ...ListQuery, ...ChangeQuery }),
        response: { 200: listOf(Change), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, request.params.id);
        const q = request.query;
        const rows = await listChanges(
          trx,
          actor.tenantId,
          request.params.id,
          { ...q, kinds: q.kind, starting_after: q.starting_after },
          limit + 1,
        );
        return toPage(rows, limit, serializeChange);
      });
    },
  );

  app.get(
    "/v1/members/:id/balance-changes/export",
    {
      config: { permission: "wallets.read" },
      schema: {
        tags: ["wallets"],
        summary: `Export a member's change log as CSV or xlsx (at most ${MAX_EXPORT_ROWS} rows)`,
        params: MemberParams,
        querystring: Obj({ format: StringEnum(["csv", "xlsx"] as const), ...ChangeQuery }),
        produces: ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const q = request.query;
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, request.params.id);
        return listChanges(
          trx,
          actor.tenantId,
          request.params.id,
          { ...q, kinds: q.kind },
          MAX_EXPORT_ROWS + 1,
        );
      });
      if (rows.length > MAX_EXPORT_ROWS) {
        throw new DomainError("limit_exceeded", `More than ${MAX_EXPORT_ROWS} changes; narrow from/to`);
      }
      const columns = [
        "id",
        "created_at",
        "account",
        "kind",
        "asset",
        "amount",
        "principal_delta",
        "bonus_delta",
        "balance_after",
        "reason",
        "note",
        "source",
        "source_ref",
        "order_id",
        "payment_id",
        "actor_type",
        "actor_id",
      ];
      const file = await exportTable(
        `balance-changes-${request.params.id}`,
        q.format,
        columns,
        rows.map((r) => [
          r.id,
          r.created_at.toISOString(),
          r.account,
          r.kind,
          r.asset,
          r.amount,
          r.principal_delta,
          r.bonus_delta,
          r.balance_after,
          r.reason,
          r.note,
          r.source,
          r.source_ref,
          r.order_id,
          r.payment_id,
          r.actor_type,
          r.actor_id,
        ]),
      );
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  app.get(
    "/v1/wallet-totals",
    {
      config: { permission: "wallets.read" },
      schema: {
        tags: ["wallets"],
        summary: "Balance totals: held by all members, consumption, and today's increase and consumption",
        description:
          "total_balance: principal + bonus of all members now. total_consumption: balance payments net of refunds. today_increase: online + offline top-ups (principal) of today only, rewards, bonuses and exchanges excluded. today_consumption: balance payments of today only, offline withdrawals excluded. Today is the tenant's calendar day in its time zone.",
        response: {
          200: Type.Object({
            object: Type.Literal("wallet_totals"),
            asset: Type.String(),
            timezone: Type.String(),
            today: Type.Object({ from: Timestamp, to: Timestamp }),
            total_balance: Type.Integer(),
            total_consumption: Type.Integer(),
            today_increase: Type.Integer(),
            today_consumption: Type.Integer(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { actor } = request;
      if (actor.orgUnitId) throw new DomainError("forbidden", "Totals are for tenant-wide staff");
      const now = clock.now();
      const totals = await db.tenantTx(actor.tenantId, async (trx) =>
        walletTotals(trx, actor.tenantId, await loadSettings(trx, actor.tenantId, now), now),
      );
      return { object: "wallet_totals" as const, ...totals };
    },
  );
}
