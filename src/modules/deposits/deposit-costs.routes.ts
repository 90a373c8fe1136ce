import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  Amount,
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { createCampaign } from "./campaigns.js";
import { accountLedger, listCampaigns, listEntries, listManualItems } from "./deposit-views.js";
import { deliverAfterCommit } from "./deposits.notices.js";
import {
  accountInScope,
  accountRecordsQuery,
  assertPlatform,
  scopedAccountQuery,
  WITHDRAWAL_STATUSES,
  withdrawalBankAccountQuery,
} from "./deposits.repository.js";
import {
  AccountParams,
  Campaign,
  CampaignQuery,
  EntryQuery,
  FreezeAnswer,
  ManualItem,
  OrderCost,
  OrderParams,
  serializeCampaign,
  serializeFreeze,
  serializeOrder,
  Text,
} from "./deposits.schemas.js";
import { Entry } from "./deposits.serialize.js";
import { freezeCost } from "./freeze-cost.js";
import { LedgerLine, serializeWithdrawal, Withdrawal } from "./funds.schemas.js";
import { invoiceRoutes } from "./invoicing.routes.js";
import { recheckTenantReport } from "./recheck.js";
import { refundSettled, releaseCost, settleCost } from "./resolve-cost.js";
import { resolveManualItem } from "./resolve-manual-item.js";
import { decideWithdrawal, requestWithdrawal, WITHDRAWAL_ACTIONS } from "./withdrawals.js";

/** Campaigns, order costs, transactions, withdrawals, the manual-handling list; then invoicing. */
export async function depositCostRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["deposits"];
  const after = deliverAfterCommit(deps);

  // --- campaigns and costs ---------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-campaigns",
    config: { permission: "deposits.manage", idempotent: true },
    schema: {
      tags,
      summary:
        "Create or join a campaign (refused when the account is not opened, not active, abnormal or in arrears)",
      body: Obj({ merchant_id: IdParam, name: Text(200), starts_at: Timestamp, ends_at: Timestamp }),
      response: { 201: Campaign, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ body }) => ({
      merchantId: body.merchant_id,
      name: body.name,
      startsAt: new Date(body.starts_at),
      endsAt: new Date(body.ends_at),
    }),
    op: (uow, ctx, input, now) => createCampaign(uow.trx, uow, ctx, input, now),
    respond: ({ campaign }) => serializeCampaign(campaign),
    after,
  });

  app.get(
    "/v1/deposit-campaigns",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Campaigns of the caller's merchants",
        querystring: CampaignQuery,
        response: { 200: listOf(Campaign), ...errorResponses() },
      },
    },
    async ({ actor, query }) => db.tenantTx(actor.tenantId, (trx) => listCampaigns(trx, actor, query)),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-accounts/:id/freezes",
    config: { permission: "deposits.costs", idempotent: true },
    schema: {
      tags,
      summary: "Freeze a campaign cost for a buyer's order (what available cannot cover becomes arrears)",
      params: AccountParams,
      body: Obj({ order_id: IdParam, campaign_id: Type.Optional(IdParam), amount: Amount }),
      response: { 200: FreezeAnswer, 201: FreezeAnswer, ...errorResponses(409, 422) },
    },
    guard: ({ actor }) => assertPlatform(actor),
    input: ({ params, body }) => ({
      accountId: params.id,
      orderId: body.order_id,
      campaignId: body.campaign_id ?? null,
      amount: body.amount,
    }),
    op: (uow, ctx, input, now) => freezeCost(uow.trx, uow, ctx.actor, input, now),
    status: (result) => (result.outcome === "frozen" ? 201 : 200),
    respond: (result) => serializeFreeze(result),
    after,
  });

  const costAction = (verb: "release" | "settle" | "refund", summary: string, body: ReturnType<typeof Obj>) =>
    valueRoute(app, deps, {
      method: "POST",
      url: `/v1/deposit-accounts/:id/orders/:order_id/${verb}`,
      config: { permission: "deposits.costs", idempotent: true },
      schema: {
        tags,
        summary,
        params: OrderParams,
        body,
        response: { 200: OrderCost, ...errorResponses(409, 422) },
      },
      status: 200,
      guard: ({ actor }) => assertPlatform(actor),
      input: ({ params, body }) => ({ ...params, amount: (body as { amount?: number }).amount }),
      op: (uow, { actor }, { id, order_id, amount }, now) =>
        verb === "release"
          ? releaseCost(uow.trx, uow, actor, id, order_id, amount, now)
          : verb === "settle"
            ? settleCost(uow.trx, uow, actor, id, order_id, now)
            : refundSettled(uow.trx, uow, actor, id, order_id, amount!, now),
      respond: (result) => serializeOrder(result.order),
      after,
    });
  costAction(
    "release",
    "Refund before receipt: release the order's cost, fully or partly (arrears of the order first)",
    Obj({ amount: Type.Optional(Amount) }),
  );
  costAction("settle", "Order completed: settle the frozen cost", Obj({}));
  costAction("refund", "Refund after settlement: credit the account back", Obj({ amount: Amount }));

  app.get(
    "/v1/deposit-accounts/:id/transactions",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Account transactions: freeze, release, settle, settled refund, arrears, arrears repaid",
        params: AccountParams,
        querystring: EntryQuery,
        response: { 200: listOf(Entry), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listEntries(trx, actor, params.id, query)),
  );

  app.get(
    "/v1/deposit-accounts/:id/ledger",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Account ledger: every balance change as income or expense with the running balance",
        params: AccountParams,
        querystring: Obj({
          ...ListQuery,
          created_gte: Type.Optional(Timestamp),
          created_lt: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(LedgerLine), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => accountLedger(trx, actor, params.id, query)),
  );

  // --- withdrawals ------------------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-accounts/:id/withdrawals",
    config: { permission: "deposits.manage", idempotent: true },
    schema: {
      tags,
      summary: "Request a withdrawal (≤ available, refused in arrears); the amount is held at once",
      params: AccountParams,
      body: Obj({ amount: Amount, reason: Type.Optional(Type.String({ maxLength: 500 })) }),
      response: { 201: Withdrawal, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ params, body }) => ({ accountId: params.id, amount: body.amount, reason: body.reason ?? null }),
    op: (uow, ctx, input, now) =>
      requestWithdrawal(uow.trx, uow, ctx, input.accountId, input.amount, input.reason, now),
    respond: (result) => serializeWithdrawal(result.withdrawal, result.bankAccount),
    after,
  });

  app.get(
    "/v1/deposit-accounts/:id/withdrawals",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Withdrawal records with their progress",
        params: AccountParams,
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(WITHDRAWAL_STATUSES)) }),
        response: { 200: listOf(Withdrawal), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => {
      const [[account], rows, [bank]] = await db.tenantQueries(actor.tenantId, [
        scopedAccountQuery(db.kysely, actor.tenantId, params.id),
        accountRecordsQuery(db.kysely, actor.tenantId, params.id, "deposit_withdrawals", query),
        withdrawalBankAccountQuery(db.kysely, actor.tenantId, params.id),
      ] as const);
      accountInScope(actor, account);
      return toPage(rows, pageLimit(query.limit), (row) => serializeWithdrawal(row, bank));
    },
  );

  for (const action of WITHDRAWAL_ACTIONS) {
    valueRoute(app, deps, {
      method: "POST",
      url: `/v1/deposit-withdrawals/:id/${action}`,
      config: { permission: "deposits.finance", idempotent: true },
      schema: {
        tags,
        summary: {
          approve: "Finance approves a requested withdrawal",
          reject: "Finance rejects a withdrawal (requested, approved or failed): the held amount is released",
          pay: "The payout succeeded (approved or failed → paid): the held amount is posted",
          fail: "The payout failed after approval: flagged for manual handling, the amount stays held",
        }[action],
        params: AccountParams,
        body: Obj({ reason: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 200: Withdrawal, ...errorResponses(409) },
      },
      status: 200,
      input: ({ params, body }) => ({ withdrawalId: params.id, reason: body.reason ?? null }),
      op: (uow, ctx, input, now) =>
        decideWithdrawal(uow.trx, uow, ctx, input.withdrawalId, action, input.reason, now),
      respond: (result) => serializeWithdrawal(result.withdrawal, result.bankAccount),
      after,
    });
  }

  app.get(
    "/v1/deposit-manual-items",
    {
      config: { permission: "deposits.finance", tenantWide: true },
      schema: {
        tags,
        summary:
          "The manual-handling list: freezes that could not be taken, failed payouts, settled refunds credited to a closed account",
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(["open", "resolved"] as const)) }),
        response: { 200: listOf(ManualItem), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      assertPlatform(actor);
      return db.tenantTx(actor.tenantId, (trx) => listManualItems(trx, actor, query));
    },
  );

  app.post(
    "/v1/deposit-manual-items/:id/resolve",
    {
      config: { permission: "deposits.finance" },
      schema: {
        tags,
        summary: "Mark a manual-handling item resolved (what was done goes in the note; audited)",
        description:
          "A failed payout is resolved by paying or rejecting its withdrawal, which resolves its item. " +
          "A freeze that could not be taken is resolved here once handled outside (e.g. charged by invoice); " +
          "so is a settled refund credited to a closed account, once the account is reopened for the merchant to withdraw it.",
        params: AccountParams,
        body: Obj({ note: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: {
          200: Type.Object({ id: Type.String(), status: Type.Literal("resolved") }),
          ...errorResponses(409),
        },
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      const input = { itemId: request.params.id, note: request.body.note };
      return db.tenantTx(ctx.actor.tenantId, (trx) => resolveManualItem(trx, ctx, input, clock.now()));
    },
  );

  app.post(
    "/v1/deposit-checks",
    {
      config: { permission: "deposits.finance" },
      schema: {
        tags,
        summary: "Run the breaker and warning re-check now (the schedule runs it every 20 minutes)",
        description:
          "Each account is checked on its own: one whose check fails is listed in `failed` with the reason, and the others are checked and their notices sent.",
        body: Obj({}),
        response: {
          200: Type.Object({
            checked: Type.Integer(),
            notices: Type.Integer(),
            failed: Type.Array(Type.Object({ account_id: Type.String(), reason: Type.String() })),
          }),
          ...errorResponses(),
        },
      },
    },
    async ({ actor }) => {
      assertPlatform(actor);
      const result = await recheckTenantReport(deps, actor.tenantId, clock.now());
      return {
        checked: result.checked,
        notices: result.notices.length,
        failed: result.failures.map((f) => ({
          account_id: f.id,
          reason: f.error instanceof Error ? f.error.message : String(f.error),
        })),
      };
    },
  );

  await invoiceRoutes(app, deps);
}
