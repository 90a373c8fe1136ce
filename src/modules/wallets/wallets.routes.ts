import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, listOf } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { findVisibleMember, visibleMemberOf, visibleMemberQueries } from "../members/index.js";
import {
  exportChanges,
  listChanges,
  MAX_EXPORT_ROWS,
  rewardTotalsOf,
  rewardTotalsQuery,
} from "./balance-changes.js";
import { changePoints } from "./change-points.js";
import { dailyTotals } from "./daily-totals.js";
import { exchangePoints } from "./exchange-points.js";
import { grantReward } from "./grant-reward.js";
import { paymentProviders } from "./payment-providers.js";
import { paymentRoutes } from "./payments.routes.js";
import { REAL_PROVIDERS } from "./providers/provider-configs.js";
import { paymentProviderRoutes } from "./providers/provider-configs.routes.js";
import { topUpOffline } from "./top-up-offline.js";
import { updateWalletSettings } from "./update-settings.js";
import { walletTotals } from "./wallet-totals.js";
import {
  balanceHiddenFrom,
  balanceQueries,
  balanceViewOf,
  operationView,
  settingsOf,
  settingsView,
} from "./wallet-views.js";
import { WalletsError } from "./wallets.errors.js";
import { readSettings, settingsOfRows, settingsQueries } from "./wallets.repository.js";
import {
  Balance,
  Change,
  ChangeExportQuery,
  ChangeQuery,
  DailyTotals,
  DailyTotalsQuery,
  ExchangeBody,
  ExchangeResult,
  MemberParams,
  OperationResult,
  PointsBody,
  RewardBody,
  RewardTotals,
  Settings,
  SettingsPatch,
  serializeChange,
  serializeSettings,
  TopUpBody,
  Totals,
  WithdrawalBody,
} from "./wallets.schemas.js";
import { withdrawOffline } from "./withdraw-offline.js";

const tags = ["wallets"];
/** Refusals of every operation on one member's balance. */
const MEMBER = ["member_not_found", "member_closed", "member_frozen", "amount_above_cap"];
/** A member's first balance operation racing a change of the balance asset (retry it). */
const ASSET_CHANGED = "balance_asset_changed";

/** The answer of an operation on one member: the change and the balance as the unit left it. */
const changed = (result: { change_id: string }, uow: UnitOfWork, input: { memberId: string }, now: Date) =>
  operationView(uow, input.memberId, result.change_id, now);

/** The member balance: settings, top-ups, withdrawals, rewards, points, payments, change log, totals. */
export async function walletsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const providers = paymentProviders(deps.config.signingSecret);
  const read = <T>(tenantId: string, fn: (trx: Tx) => Promise<T>) => db.tenantTx(tenantId, fn);

  // ---- settings -----------------------------------------------------------------------
  app.get(
    "/v1/wallet-settings",
    {
      config: { permission: "wallets.read" },
      schema: {
        tags,
        summary: "The tenant's balance settings",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async ({ actor }) =>
      serializeSettings(await read(actor.tenantId, (trx) => settingsView(trx, actor.tenantId, clock.now()))),
  );

  app.patch(
    "/v1/wallet-settings",
    {
      config: {
        permission: "wallets.settings",
        errors: ["balance_asset_locked", "payment_provider_unknown", "asset_exists"],
      },
      schema: {
        tags,
        summary: "Change the balance settings (the asset only while no member holds a balance)",
        body: SettingsPatch,
        response: { 200: Settings, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const { tenantId } = request.actor;
      const input = { patch: request.body, knownProviders: [...providers.keys(), ...REAL_PROVIDERS] };
      const view = await read(tenantId, async (trx) =>
        settingsOf(trx, tenantId, await updateWalletSettings(trx, contextOf(request), input, clock.now())),
      );
      return serializeSettings(view);
    },
  );

  // ---- balance and operator operations ------------------------------------------------
  app.get(
    "/v1/members/:id/balance",
    {
      config: { permission: "wallets.read", member: true, errors: ["member_not_found", "balance_hidden"] },
      schema: {
        tags,
        summary: "A member's balance (principal, bonus, held, available) and points",
        description:
          "A member token reads only its own, and not while the balance is hidden in the member center.",
        params: MemberParams,
        response: { 200: Balance, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const now = clock.now();
      const rows = await db.tenantQueries(
        actor.tenantId,
        balanceQueries(db.kysely, actor.tenantId, params.id, now),
      );
      return balanceViewOf(actor, params.id, rows, now);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/top-ups",
    config: { permission: "wallets.operate", idempotent: true, errors: [...MEMBER, ASSET_CHANGED] },
    schema: {
      tags,
      summary: "Offline top-up by an operator (money received outside the system)",
      params: MemberParams,
      body: TopUpBody,
      response: { 201: OperationResult, ...errorResponses(422) },
    },
    input: ({ params, body }) => ({
      memberId: params.id,
      amount: body.amount,
      bonusAmount: body.bonus_amount,
      reason: body.reason,
      note: body.note,
    }),
    status: 201,
    op: topUpOffline,
    respond: changed,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/withdrawals",
    config: {
      permission: "wallets.operate",
      idempotent: true,
      errors: [...MEMBER, "insufficient_balance", ASSET_CHANGED],
    },
    schema: {
      tags,
      summary: "Offline withdrawal: record a manual reduction (never above the available balance)",
      params: MemberParams,
      body: WithdrawalBody,
      response: { 201: OperationResult, ...errorResponses(422) },
    },
    status: 201,
    input: ({ params, body }) => ({ memberId: params.id, ...body }),
    op: withdrawOffline,
    respond: changed,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/rewards",
    config: { permission: "wallets.operate", idempotent: true, errors: [...MEMBER, ASSET_CHANGED] },
    schema: {
      tags,
      summary: "Grant a reward in balance (to bonus), points or referral points, from a named source",
      params: MemberParams,
      body: RewardBody,
      response: { 201: OperationResult, ...errorResponses(422) },
    },
    status: 201,
    input: ({ params, body }) => ({
      memberId: params.id,
      account: body.account,
      amount: body.amount,
      source: body.source,
      sourceRef: body.source_ref,
      note: body.note,
    }),
    op: grantReward,
    respond: changed,
  });

  app.get(
    "/v1/members/:id/reward-totals",
    {
      config: { permission: "wallets.read", member: true, errors: ["member_not_found"] },
      schema: {
        tags,
        summary: "Cumulative rewards a member received, per account and source",
        params: MemberParams,
        response: { 200: RewardTotals, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const [members, unitPaths, stored, defaults, rewards] = await db.tenantQueries(actor.tenantId, [
        ...visibleMemberQueries(db.kysely, actor.tenantId, params.id),
        ...settingsQueries(db.kysely, actor.tenantId),
        rewardTotalsQuery(db.kysely, actor.tenantId, params.id),
      ] as const);
      visibleMemberOf(actor, params.id, members, unitPaths);
      const hidden =
        actor.type === "member" &&
        settingsOfRows(actor.tenantId, stored, defaults, deps.clock.now()).hide_balance_in_member_center;
      const totals = rewardTotalsOf(rewards);
      return {
        object: "reward_totals" as const,
        member_id: params.id,
        data: hidden ? totals.filter((t) => t.account !== "balance") : totals,
      };
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/points",
    config: { permission: "wallets.operate", idempotent: true, errors: [...MEMBER, "insufficient_points"] },
    schema: {
      tags,
      summary: "Earn, spend or adjust points (spending takes the lots expiring first)",
      params: MemberParams,
      body: PointsBody,
      response: { 201: OperationResult, ...errorResponses(422) },
    },
    status: 201,
    input: ({ params, body }) => ({
      memberId: params.id,
      operation: body.operation,
      kind: body.kind,
      delta: body.points,
      reason: body.reason,
      reference: body.reference,
    }),
    op: changePoints,
    respond: changed,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/exchanges",
    config: {
      permission: "wallets.operate",
      member: true,
      idempotent: true,
      errors: [...MEMBER, "insufficient_points", "exchange_too_small", "balance_hidden", ASSET_CHANGED],
    },
    schema: {
      tags,
      summary: "Exchange points or referral points into balance (bonus); rounded down to the minor unit",
      description:
        "A member token exchanges only its own points (another member's id answers 404 member_not_found), at the tenant's ratio (points_per_unit is for staff: 403), and not while the merchant hides the balance in the member center (403 balance_hidden).",
      params: MemberParams,
      body: ExchangeBody,
      response: { 201: ExchangeResult, ...errorResponses(422) },
    },
    status: 201,
    guard: async ({ body }, { actor }) => {
      if (actor.type !== "member") return;
      if (body.points_per_unit !== undefined)
        throw new WalletsError("forbidden", "A member exchanges at the tenant's ratio");
      if (await read(actor.tenantId, (trx) => balanceHiddenFrom(trx, actor, deps.clock.now())))
        throw new WalletsError("balance_hidden", "The balance is hidden in the member center");
    },
    input: ({ params, body }) => ({
      memberId: params.id,
      from: body.from,
      points: body.points,
      pointsPerUnit: body.points_per_unit,
      note: body.note,
    }),
    op: exchangePoints,
    respond: async (r, uow, input, now) => ({
      ...(await changed(r, uow, input, now)),
      credited: r.credited,
      points_per_unit: r.points_per_unit,
    }),
  });

  await paymentRoutes(app, deps);
  await paymentProviderRoutes(app, deps);

  // ---- change log and totals ----------------------------------------------------------
  app.get(
    "/v1/members/:id/balance-changes",
    {
      config: { permission: "wallets.read", member: true, errors: ["member_not_found", "balance_hidden"] },
      schema: {
        tags,
        summary: "A member's balance and points change log, newest first, with filters",
        description:
          "A member token sees only the points entries while the merchant hides the balance in the member center; asking for the balance account then answers 403 balance_hidden.",
        params: MemberParams,
        querystring: ChangeQuery,
        response: { 200: listOf(Change), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => {
      const limit = pageLimit(query.limit);
      return read(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, params.id);
        const hidden = await balanceHiddenFrom(trx, actor, deps.clock.now());
        if (hidden && query.account === "balance") {
          throw new WalletsError("balance_hidden", "The balance is hidden in the member center");
        }
        const filter = {
          ...query,
          kinds: query.kind,
          starting_after: query.starting_after,
          pointsOnly: hidden,
          actorLabels: actor.type !== "member",
        };
        const rows = await listChanges(trx, actor.tenantId, params.id, filter, limit + 1);
        return toPage(rows, limit, serializeChange);
      });
    },
  );

  app.get(
    "/v1/members/:id/balance-changes/export",
    {
      config: { permission: "wallets.read", errors: ["member_not_found"] },
      schema: {
        tags,
        summary: `Export a member's change log as CSV or xlsx (at most ${MAX_EXPORT_ROWS} rows)`,
        params: MemberParams,
        querystring: ChangeExportQuery,
        produces: ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses() },
      },
    },
    async ({ actor, params, query }, reply) => {
      const file = await read(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, params.id);
        return exportChanges(trx, actor.tenantId, params.id, { ...query, kinds: query.kind }, query.format);
      });
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  app.get(
    "/v1/wallet-totals",
    {
      config: { permission: "wallets.read", tenantWide: true },
      schema: {
        tags,
        summary: "Balance totals: held by all members, consumption, and today's increase and consumption",
        description:
          "total_balance: principal + bonus of all members now. total_consumption: balance payments net of refunds. today_increase: online + offline top-ups (principal) of today only, rewards, bonuses and exchanges excluded. today_consumption: balance payments of today only, offline withdrawals excluded. Today is the tenant's calendar day in its time zone.",
        response: { 200: Totals, ...errorResponses() },
      },
    },
    async ({ actor }) => {
      if (actor.orgUnitId) throw new WalletsError("forbidden", "Totals are for tenant-wide staff");
      const now = clock.now();
      const totals = await read(actor.tenantId, async (trx) =>
        walletTotals(trx, actor.tenantId, await readSettings(trx, actor.tenantId, now), now),
      );
      return { object: "wallet_totals" as const, ...totals };
    },
  );

  app.get(
    "/v1/wallet-daily-totals",
    {
      config: { permission: "wallets.read", tenantWide: true },
      schema: {
        operationId: "listWalletDailyTotals",
        tags,
        summary: "Top-ups, consumption and the members' closing balance per calendar day",
        description:
          "The last `days` days in the tenant's time zone, oldest first. topups and consumption count as today_increase and today_consumption do; closing_balance is principal + bonus held by all members at the end of the day (now, for today), read back from the ledger.",
        querystring: DailyTotalsQuery,
        response: { 200: DailyTotals, ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      if (actor.orgUnitId) throw new WalletsError("forbidden", "Totals are for tenant-wide staff");
      const now = clock.now();
      const result = await read(actor.tenantId, async (trx) => {
        const settings = await readSettings(trx, actor.tenantId, now);
        return {
          asset: settings.asset,
          ...(await dailyTotals(trx, actor.tenantId, settings, query.days ?? 30, now)),
        };
      });
      return { object: "wallet_daily_totals" as const, ...result };
    },
  );
}
