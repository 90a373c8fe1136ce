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
} from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { setBankBinding } from "./bank-binding.js";
import { configureWarnings } from "./configure-warnings.js";
import { depositCostRoutes } from "./deposit-costs.routes.js";
import { depositDeskRoutes } from "./deposit-desk.routes.js";
import { accountView, listAccounts, listBankRecords, showAccount } from "./deposit-views.js";
import { deliverAfterCommit, deliverNotices } from "./deposits.notices.js";
import {
  accountRecordsPage,
  assertPlatform,
  BANK_RECORD_STATUSES,
  loadSettings,
  settingsOrDefault,
  settingsQuery,
  TOPUP_STATUSES,
} from "./deposits.repository.js";
import {
  AccountParams,
  AccountPatch,
  AccountQuery,
  BankBinding,
  BankBindingBody,
  BankRecord,
  BankRecordIn,
  DepositAccount,
  Settings,
  SettingsPatch,
  serializeBinding,
  serializeRecord,
  serializeSettings,
  serializeTopup,
  Topup,
  WarningBody,
} from "./deposits.schemas.js";
import { matchBankRecord } from "./match-bank-record.js";
import { openAccount } from "./open-account.js";
import { MAX_BANK_RECORDS, receiveBankRecord } from "./receive-bank-record.js";
import { requestTopup } from "./request-topup.js";
import { returnBankRecord } from "./return-bank-record.js";
import { updateDepositAccount } from "./update-deposit-account.js";
import { updateDepositSettings } from "./update-deposit-settings.js";

/** Settings, accounts, top-ups and bank records; campaigns, costs and withdrawals in deposit-costs.routes.ts. */
export async function depositsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["deposits"];
  /** The notices an operation decided are delivered once its unit has committed (never for a replay). */
  const after = deliverAfterCommit(deps);

  app.get(
    "/v1/deposit-settings",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "The tenant's deposit settings",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async ({ actor }) => {
      const [row] = await db.tenantQuery(actor.tenantId, settingsQuery(db.kysely, actor.tenantId));
      return serializeSettings(settingsOrDefault(row, actor.tenantId, clock.now()));
    },
  );

  app.patch(
    "/v1/deposit-settings",
    {
      config: { permission: "deposits.settings" },
      schema: {
        tags,
        summary: "Change the minimum top-up, suspension threshold, invoice minimum or receiving account",
        body: SettingsPatch,
        response: { 200: Settings, ...errorResponses(422) },
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      return serializeSettings(
        await db.tenantTx(ctx.actor.tenantId, (trx) =>
          updateDepositSettings(trx, ctx, request.body, clock.now()),
        ),
      );
    },
  );

  app.put(
    "/v1/merchants/:id/deposit-bank-binding",
    {
      config: { permission: "deposits.manage", errors: ["bank_binding_name_taken"] },
      schema: {
        tags,
        summary: "Bind or change the merchant's wire-transfer bank account (audited)",
        description:
          "Wires are matched to merchants by the payer's name, so an effective binding's company_name (compared ignoring case, full-width/half-width forms and spacing) may not be one another merchant of the tenant has effectively bound: 409 bank_binding_name_taken, nothing written.",
        params: AccountParams,
        body: BankBindingBody,
        response: { 200: BankBinding, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const b = request.body;
      const input = {
        companyName: b.company_name,
        bankName: b.bank_name,
        branch: b.branch,
        accountNumber: b.account_number,
        status: b.status ?? "effective",
      };
      return serializeBinding(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          setBankBinding(trx, contextOf(request), request.params.id, input, clock.now()),
        ),
      );
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-accounts",
    config: { permission: "deposits.manage", idempotent: true },
    schema: {
      tags,
      summary: "Open the merchant's deposit account (needs an effective bank binding)",
      body: Obj({ merchant_id: IdParam }),
      response: { 201: DepositAccount, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ body }) => body.merchant_id,
    op: (uow, ctx, merchantId, now) => openAccount(uow.trx, uow, ctx, merchantId, now),
    respond: async (account, { trx }, _input, now) =>
      accountView(trx, account, await loadSettings(trx, account.tenant_id, now)),
  });

  app.get(
    "/v1/deposit-accounts",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Deposit accounts (a merchant's users see only their own)",
        querystring: AccountQuery,
        response: { 200: listOf(DepositAccount), ...errorResponses() },
      },
    },
    async ({ actor, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listAccounts(trx, actor, query, clock.now())),
  );

  app.get(
    "/v1/deposit-accounts/:id",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "The account page: status, available, frozen, arrears, totals, thresholds",
        params: AccountParams,
        response: { 200: DepositAccount, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      db.tenantTx(actor.tenantId, (trx) => showAccount(trx, actor, params.id, clock.now())),
  );

  valueRoute(app, deps, {
    method: "PUT",
    url: "/v1/deposit-accounts/:id/warning-settings",
    config: { permission: "deposits.manage", errors: ["suspension_threshold_below_minimum"] },
    schema: {
      tags,
      summary:
        "Balance warning value and contacts (up to 3 emails, 3 mobile numbers), and the merchant's own suspension amount; required before use",
      description:
        "The merchant configures its warning amount and may set its own suspension (circuit breaker) amount, " +
        "never below `suspension_threshold_minimum` (the platform's 1,000.00, or what finance set for this merchant). " +
        "The breaker is re-checked at once with the new amount.",
      params: AccountParams,
      body: WarningBody,
      response: { 200: DepositAccount, ...errorResponses(409, 422) },
    },
    status: 200,
    input: ({ params, body }) => ({
      accountId: params.id,
      warningValue: body.warning_value,
      emails: body.emails,
      phones: body.phones,
      suspensionThreshold: body.suspension_threshold,
    }),
    op: configureWarnings,
    respond: ({ account, settings }, { trx }) => accountView(trx, account, settings),
    after,
  });

  valueRoute(app, deps, {
    method: "PATCH",
    url: "/v1/deposit-accounts/:id",
    config: { permission: "deposits.finance", idempotent: true },
    schema: {
      tags,
      summary: "Platform: mark abnormal / active / closed, override the suspension threshold",
      params: AccountParams,
      body: AccountPatch,
      response: { 200: DepositAccount, ...errorResponses(409, 422) },
    },
    status: 200,
    input: ({ params, body }) => ({
      accountId: params.id,
      status: body.status,
      suspensionThreshold: body.suspension_threshold,
    }),
    op: updateDepositAccount,
    respond: ({ account, settings }, { trx }) => accountView(trx, account, settings),
    after,
  });

  // --- top-ups and bank records -------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-accounts/:id/topups",
    config: { permission: "deposits.manage", idempotent: true },
    schema: {
      tags,
      summary: "Apply for a top-up by bank transfer (at least the minimum, 3,000.00 by default)",
      params: AccountParams,
      body: Obj({ amount: Amount }),
      response: { 201: Topup, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ params, body }) => ({ accountId: params.id, amount: body.amount }),
    op: (uow, ctx, input, now) => requestTopup(uow.trx, ctx, input.accountId, input.amount, now),
    respond: ({ topup, receiving }) => ({ ...serializeTopup(topup), receiving_account: receiving }),
  });

  app.get(
    "/v1/deposit-accounts/:id/topups",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Top-up records with their progress",
        params: AccountParams,
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(TOPUP_STATUSES)) }),
        response: { 200: listOf(Topup), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => {
      const rows = await accountRecordsPage(db, actor, params.id, "deposit_topups", query);
      return toPage(rows, pageLimit(query.limit), serializeTopup);
    },
  );

  app.post(
    "/v1/deposit-bank-records",
    {
      config: { permission: "deposits.finance" },
      schema: {
        tags,
        summary: `Incoming bank transfers (the bank integration or a parsed statement; at most ${MAX_BANK_RECORDS})`,
        description:
          "Each record is matched on its own: payer name = a merchant's bound company name and amount = an open application's amount. " +
          "A bank transaction id seen before answers its first outcome with `duplicate: true` and credits nothing.",
        body: Obj({
          source: Type.Optional(StringEnum(["api", "statement"] as const, { default: "api" })),
          records: Type.Array(BankRecordIn, { minItems: 1, maxItems: MAX_BANK_RECORDS }),
        }),
        response: { 200: listOf(BankRecord), ...errorResponses(422) },
      },
    },
    async (request) => {
      const { actor } = request;
      assertPlatform(actor);
      const source = request.body.source ?? "api";
      // Each record is its own unit: one that cannot be matched does not hold back the others.
      const results = await Promise.all(
        request.body.records.map((r) =>
          deps.ledger.run(actor.tenantId, (uow) =>
            receiveBankRecord(
              uow.trx,
              uow,
              actor,
              {
                bankTransactionId: r.bank_transaction_id,
                payerName: r.payer_name,
                payerAccount: r.payer_account ?? null,
                amount: r.amount,
                asset: r.asset,
                reference: r.reference ?? null,
                receivedAt: new Date(r.received_at),
              },
              source,
              clock.now(),
            ),
          ),
        ),
      );
      await deliverNotices(
        deps,
        results.flatMap((r) => r.notices),
        clock.now(),
      );
      return {
        object: "list" as const,
        data: results.map((r) => serializeRecord(r.record, r.duplicate)),
        has_more: false,
      };
    },
  );

  app.get(
    "/v1/deposit-bank-records",
    {
      config: { permission: "deposits.finance", tenantWide: true },
      schema: {
        tags,
        summary: "Bank records; `status=unmatched` is the queue to match manually or return",
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(BANK_RECORD_STATUSES)) }),
        response: { 200: listOf(BankRecord), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      assertPlatform(actor);
      return db.tenantTx(actor.tenantId, (trx) => listBankRecords(trx, actor, query));
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-bank-records/:id/match",
    config: { permission: "deposits.finance", idempotent: true },
    schema: {
      tags,
      summary: "Match an unmatched bank record to a top-up application by hand (amounts must be equal)",
      params: AccountParams,
      body: Obj({ topup_id: IdParam }),
      response: { 200: BankRecord, ...errorResponses(409, 422) },
    },
    status: 200,
    input: ({ params, body }) => ({ recordId: params.id, topupId: body.topup_id }),
    op: matchBankRecord,
    respond: (result) => serializeRecord(result.record),
    after,
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-bank-records/:id/return",
    config: { permission: "deposits.finance", idempotent: true },
    schema: {
      tags,
      summary: "Return an unmatched bank record to the payer (nothing is credited)",
      params: AccountParams,
      body: Obj({ note: Type.Optional(Type.String({ maxLength: 500 })) }),
      response: { 200: BankRecord, ...errorResponses(409) },
    },
    status: 200,
    input: ({ params, body }) => ({ recordId: params.id, note: body.note ?? null }),
    op: returnBankRecord,
    respond: (record) => serializeRecord(record),
  });

  await depositCostRoutes(app, deps);
  await depositDeskRoutes(app, deps);
}
