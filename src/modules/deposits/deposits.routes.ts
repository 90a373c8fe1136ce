import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { balancesOf, findAccount, statement } from "../../ledger/index.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
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
import { valueRoute } from "../../platform/http/value-route.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { tenantZone } from "../../platform/tenants.js";
import { setBankBinding } from "./bank-binding.js";
import { createCampaign } from "./campaigns.js";
import { checkAccount } from "./check-account.js";
import { configureWarnings } from "./configure-warnings.js";
import { DepositsError } from "./deposits.errors.js";
import { depositBalances } from "./deposits.ledger.js";
import { deliverNotices, notifierOf, type PendingNotice } from "./deposits.notices.js";
import {
  ACCOUNT_STATUSES,
  type AccountRow,
  accountRecords,
  assertPlatform,
  BANK_RECORD_STATUSES,
  type BankRecordRow,
  CAMPAIGN_STATUSES,
  type CampaignRow,
  ENTRY_TYPES,
  loadAccount,
  loadSettings,
  type OrderCostRow,
  readSettings,
  type SettingsRow,
  TOPUP_STATUSES,
  type TopupRow,
  WITHDRAWAL_STATUSES,
  type WithdrawalRow,
} from "./deposits.repository.js";
import { Entry, serializeEntry } from "./deposits.serialize.js";
import { freezeCost } from "./freeze-cost.js";
import { invoiceRoutes } from "./invoicing.routes.js";
import { openAccount } from "./open-account.js";
import { applyMatch, MAX_BANK_RECORDS, receiveBankRecord } from "./receive-bank-record.js";
import { recheckTenant } from "./recheck.js";
import { requestTopup } from "./request-topup.js";
import { refundSettled, releaseCost, settleCost } from "./resolve-cost.js";
import { decideWithdrawal, requestWithdrawal, WITHDRAWAL_ACTIONS } from "./withdrawals.js";

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const Email = Type.String({ format: "email", maxLength: 254 });
const Phone = Type.String({ pattern: "^\\+?[0-9]{6,20}$", examples: ["13800138000"] });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const NonNegative = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const AccountParams = Obj({ id: IdParam });
const OrderParams = Obj({ id: IdParam, order_id: IdParam });

const ReceivingAccount = Type.Object({
  company_name: Type.Optional(Type.String()),
  bank_name: Type.Optional(Type.String()),
  branch: Type.Optional(Type.String()),
  account_number: Type.Optional(Type.String()),
});

const Settings = Type.Object(
  {
    object: Type.Literal("deposit_settings"),
    asset: Type.String(),
    min_topup_amount: Type.Integer({
      description: "Smallest top-up, minor units (default 300000 = 3,000.00)",
    }),
    suspension_threshold: Type.Integer({
      description: "Platform-wide breaker threshold (default 100000 = 1,000.00)",
    }),
    invoice_min_net_amount: Type.Integer({
      description: "Smallest net amount of an invoice request (default 10000)",
    }),
    invoice_wait_days: Type.Integer({ description: "Days after settlement before it can be invoiced (15)" }),
    tax_rate_bps: Type.Integer(),
    receiving_account: ReceivingAccount,
    updated_at: Timestamp,
  },
  { $id: "DepositSettings" },
);

const serializeSettings = (s: SettingsRow) => ({
  object: "deposit_settings" as const,
  asset: s.asset,
  min_topup_amount: s.min_topup_amount,
  suspension_threshold: s.suspension_threshold,
  invoice_min_net_amount: s.invoice_min_net_amount,
  invoice_wait_days: s.invoice_wait_days,
  tax_rate_bps: s.tax_rate_bps,
  receiving_account: s.receiving_account,
  updated_at: s.updated_at.toISOString(),
});

const BankBinding = Type.Object(
  {
    object: Type.Literal("deposit_bank_binding"),
    merchant_id: Type.String(),
    company_name: Type.String(),
    bank_name: Type.String(),
    branch: Type.String(),
    account_number: Type.String(),
    status: StringEnum(["effective", "ineffective"] as const),
    updated_at: Timestamp,
  },
  { $id: "DepositBankBinding" },
);

const DepositAccount = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_account"),
    merchant_id: Type.String(),
    status: StringEnum(ACCOUNT_STATUSES),
    asset: Type.String(),
    available: Type.Integer({ description: "Spendable now (minor units)" }),
    frozen: Type.Integer({ description: "Held for open orders and withdrawals in progress" }),
    arrears: Type.Integer({ description: "Owed to the platform (pending payment)" }),
    balance: Type.Integer({ description: "available + frozen" }),
    total_topped_up: Type.Integer(),
    total_settled: Type.Integer(),
    total_withdrawn: Type.Integer(),
    warning_value: NullableInt,
    warning_emails: Type.Array(Type.String()),
    warning_phones: Type.Array(Type.String()),
    suspension_threshold: Type.Integer({
      description: "The merchant's override, else the platform's default",
    }),
    threshold_override: NullableInt,
    campaigns_suspended: Type.Boolean({ description: "The circuit breaker holds the merchant's campaigns" }),
    ledger_account_id: Type.String(),
    activated_at: Nullable(Timestamp),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "DepositAccount" },
);

async function accountView(trx: Tx, account: AccountRow, settings: SettingsRow) {
  const deposit = await findAccount(trx, account.tenant_id, account.ledger_account_id);
  const arrears = await findAccount(trx, account.tenant_id, account.arrears_account_id);
  const d = deposit ? balancesOf(deposit) : undefined;
  const totals = await trx
    .selectFrom("ledger_transfers")
    .select(["code"])
    .select((eb) => eb.fn.sum<string>("amount").as("total"))
    .where("tenant_id", "=", account.tenant_id)
    .where((eb) =>
      eb.or([
        eb("debit_account_id", "=", account.ledger_account_id),
        eb("credit_account_id", "=", account.ledger_account_id),
      ]),
    )
    .where("code", "in", ["deposit_topup", "deposit_settle", "deposit_withdrawal_paid"])
    .where("kind", "in", ["posted", "post_pending"])
    .groupBy("code")
    .execute();
  const total = (code: string) => Number(totals.find((t) => t.code === code)?.total ?? 0);
  return {
    id: account.id,
    object: "deposit_account" as const,
    merchant_id: account.merchant_id,
    status: account.status,
    asset: account.asset,
    available: d?.available ?? 0,
    frozen: d?.debits_pending ?? 0,
    arrears: arrears ? balancesOf(arrears).posted : 0,
    balance: d?.posted ?? 0,
    total_topped_up: total("deposit_topup"),
    total_settled: total("deposit_settle"),
    total_withdrawn: total("deposit_withdrawal_paid"),
    warning_value: account.warning_value,
    warning_emails: account.warning_emails,
    warning_phones: account.warning_phones,
    suspension_threshold: account.threshold_override ?? settings.suspension_threshold,
    threshold_override: account.threshold_override,
    campaigns_suspended: account.breaker_tripped,
    ledger_account_id: account.ledger_account_id,
    activated_at: iso(account.activated_at),
    created_at: account.created_at.toISOString(),
    updated_at: account.updated_at.toISOString(),
  };
}

const Topup = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_topup"),
    account_id: Type.String(),
    amount: Type.Integer(),
    reference: Type.String({ description: "Quote it on the wire transfer (optional tie-breaker)" }),
    status: StringEnum(TOPUP_STATUSES),
    arrears_repaid: Type.Integer(),
    bank_record_id: Nullable(Type.String()),
    receiving_account: Type.Optional(ReceivingAccount),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
  },
  { $id: "DepositTopup" },
);
const serializeTopup = (t: TopupRow) => ({
  id: t.id,
  object: "deposit_topup" as const,
  account_id: t.account_id,
  amount: t.amount,
  reference: t.reference,
  status: t.status,
  arrears_repaid: t.arrears_repaid,
  bank_record_id: t.bank_record_id,
  created_at: t.created_at.toISOString(),
  completed_at: iso(t.completed_at),
});

const BankRecord = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_bank_record"),
    bank_transaction_id: Type.String(),
    payer_name: Type.String(),
    amount: Type.Integer(),
    asset: Type.String(),
    reference: Nullable(Type.String()),
    status: StringEnum(BANK_RECORD_STATUSES),
    reason: Nullable(
      Type.String({ description: "Why it is unmatched: name_mismatch, no_application_with_amount, …" }),
    ),
    topup_id: Nullable(Type.String()),
    duplicate: Type.Optional(
      Type.Boolean({ description: "This bank transaction arrived before; nothing was credited again" }),
    ),
    received_at: Timestamp,
    created_at: Timestamp,
  },
  { $id: "DepositBankRecord" },
);
const serializeRecord = (r: BankRecordRow, duplicate?: boolean) => ({
  id: r.id,
  object: "deposit_bank_record" as const,
  bank_transaction_id: r.bank_transaction_id,
  payer_name: r.payer_name,
  amount: r.amount,
  asset: r.asset,
  reference: r.reference,
  status: r.status,
  reason: r.reason,
  topup_id: r.topup_id,
  ...(duplicate === undefined ? {} : { duplicate }),
  received_at: r.received_at.toISOString(),
  created_at: r.created_at.toISOString(),
});

const Campaign = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_campaign"),
    account_id: Type.String(),
    merchant_id: Type.String(),
    name: Type.String(),
    starts_at: Timestamp,
    ends_at: Timestamp,
    status: StringEnum(CAMPAIGN_STATUSES),
    suspended_by_breaker: Type.Boolean(),
    created_at: Timestamp,
  },
  { $id: "DepositCampaign" },
);
const serializeCampaign = (c: CampaignRow) => ({
  id: c.id,
  object: "deposit_campaign" as const,
  account_id: c.account_id,
  merchant_id: c.merchant_id,
  name: c.name,
  starts_at: c.starts_at.toISOString(),
  ends_at: c.ends_at.toISOString(),
  status: c.status,
  suspended_by_breaker: c.suspended_by_breaker,
  created_at: c.created_at.toISOString(),
});

const OrderCost = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_order_cost"),
    account_id: Type.String(),
    order_id: Type.String(),
    campaign_id: Nullable(Type.String()),
    cost: Type.Integer(),
    frozen: Type.Integer(),
    arrears: Type.Integer({ description: "Part of the cost not covered by available, owed to the platform" }),
    released: Type.Integer(),
    settled: Type.Integer(),
    refunded: Type.Integer(),
    status: StringEnum(["frozen", "settled", "released"] as const),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "DepositOrderCost" },
);
const serializeOrder = (o: OrderCostRow) => ({
  id: o.id,
  object: "deposit_order_cost" as const,
  account_id: o.account_id,
  order_id: o.order_id,
  campaign_id: o.campaign_id,
  cost: o.cost,
  frozen: o.frozen,
  arrears: o.arrears,
  released: o.released,
  settled: o.settled,
  refunded: o.refunded,
  status: o.status,
  created_at: o.created_at.toISOString(),
  updated_at: o.updated_at.toISOString(),
});
const FreezeAnswer = Type.Object({
  outcome: StringEnum(["frozen", "replayed", "manual"] as const, {
    description: "manual: the account could not take the cost; it waits in the manual-handling list",
  }),
  order: Type.Union([OrderCost, Type.Null()]),
  manual_item_id: Nullable(Type.String()),
  reason: Nullable(Type.String()),
});

const Withdrawal = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_withdrawal"),
    account_id: Type.String(),
    amount: Type.Integer(),
    status: StringEnum(WITHDRAWAL_STATUSES),
    reason: Nullable(Type.String()),
    created_at: Timestamp,
    approved_at: Nullable(Timestamp),
    paid_at: Nullable(Timestamp),
    rejected_at: Nullable(Timestamp),
    failed_at: Nullable(Timestamp),
  },
  { $id: "DepositWithdrawal" },
);
const serializeWithdrawal = (w: WithdrawalRow) => ({
  id: w.id,
  object: "deposit_withdrawal" as const,
  account_id: w.account_id,
  amount: w.amount,
  status: w.status,
  reason: w.reason,
  created_at: w.created_at.toISOString(),
  approved_at: iso(w.approved_at),
  paid_at: iso(w.paid_at),
  rejected_at: iso(w.rejected_at),
  failed_at: iso(w.failed_at),
});

const LedgerLine = Type.Object({
  transfer_id: Type.String(),
  direction: StringEnum(["income", "expense"] as const),
  amount: Type.Integer(),
  code: Type.String(),
  reference_id: Nullable(Type.String()),
  balance: Type.Integer({ description: "Running balance (available + frozen) after this line" }),
  created_at: Timestamp,
});

const context = (request: FastifyRequest) => ({ actor: request.actor, requestId: request.id });

/** What a deposit operation answers: the response body and the notices its change decided. */
interface DepositAnswer {
  body: unknown;
  notices?: PendingNotice[];
}

export async function depositsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["deposits"];
  /**
   * Deposit operations answer a body and the notices their change decided; the notices are
   * delivered once the unit has committed (never for a replay).
   */
  const answer = (result: DepositAnswer) => result.body;
  const afterCommit = (
    result: { body?: unknown; notices?: PendingNotice[] },
    _ctx: RequestContext,
    now: Date,
  ) => deliverNotices(notifierOf(deps), result.notices ?? [], now);

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
    async (request) =>
      serializeSettings(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          readSettings(trx, request.actor.tenantId, clock.now()),
        ),
      ),
  );

  app.patch(
    "/v1/deposit-settings",
    {
      config: { permission: "deposits.settings" },
      schema: {
        tags,
        summary: "Change the minimum top-up, suspension threshold, invoice minimum or receiving account",
        body: Obj(
          {
            min_topup_amount: Type.Optional(Amount),
            suspension_threshold: Type.Optional(NonNegative),
            invoice_min_net_amount: Type.Optional(Amount),
            tax_rate_bps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
            receiving_account: Type.Optional(
              Obj({
                company_name: Text(200),
                bank_name: Text(200),
                branch: Text(200),
                account_number: Type.String({ pattern: "^[0-9 -]{4,40}$" }),
              }),
            ),
          },
          { minProperties: 1 },
        ),
        response: { 200: Settings, ...errorResponses(422) },
      },
    },
    async (request) => {
      assertPlatform(request.actor);
      const { tenantId } = request.actor;
      const body = request.body;
      const row = await db.tenantTx(tenantId, async (trx) => {
        const before = await loadSettings(trx, tenantId, clock.now());
        const after = await trx
          .updateTable("deposit_settings")
          .set({
            ...body,
            ...(body.receiving_account ? { receiving_account: JSON.stringify(body.receiving_account) } : {}),
            updated_at: clock.now(),
          })
          .where("tenant_id", "=", tenantId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordAudit(
          trx,
          context(request),
          {
            action: "deposit_settings.updated",
            targetType: "tenant",
            targetId: tenantId,
            summary: changeSummary(before, after, Object.keys(body) as (keyof typeof body)[]),
          },
          clock.now(),
        );
        return after;
      });
      return serializeSettings(row);
    },
  );

  app.put(
    "/v1/merchants/:id/deposit-bank-binding",
    {
      config: { permission: "deposits.manage" },
      schema: {
        tags,
        summary: "Bind or change the merchant's wire-transfer bank account (audited)",
        params: AccountParams,
        body: Obj({
          company_name: Text(200),
          bank_name: Text(200),
          branch: Text(200),
          account_number: Type.String({ pattern: "^[0-9 -]{4,40}$" }),
          status: Type.Optional(StringEnum(["effective", "ineffective"] as const, { default: "effective" })),
        }),
        response: { 200: BankBinding, ...errorResponses(422) },
      },
    },
    async (request) => {
      const b = request.body;
      const row = await db.tenantTx(request.actor.tenantId, (trx) =>
        setBankBinding(
          trx,
          context(request),
          request.params.id,
          {
            companyName: b.company_name,
            bankName: b.bank_name,
            branch: b.branch,
            accountNumber: b.account_number,
            status: b.status ?? "effective",
          },
          clock.now(),
        ),
      );
      return {
        object: "deposit_bank_binding" as const,
        merchant_id: row.merchant_id,
        company_name: row.company_name,
        bank_name: row.bank_name,
        branch: row.branch,
        account_number: row.account_number,
        status: row.status,
        updated_at: row.updated_at.toISOString(),
      };
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
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      const account = await openAccount(trx, uow, ctx, request.body.merchant_id, clock.now());
      return {
        body: await accountView(trx, account, await loadSettings(trx, account.tenant_id, clock.now())),
      };
    },
    respond: answer,
    after: afterCommit,
  });

  app.get(
    "/v1/deposit-accounts",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Deposit accounts (a merchant's users see only their own)",
        querystring: Obj({
          ...ListQuery,
          status: Type.Optional(StringEnum(ACCOUNT_STATUSES)),
          merchant_id: Type.Optional(IdParam),
        }),
        response: { 200: listOf(DepositAccount), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(actor.tenantId, async (trx) => {
        let q = trx
          .selectFrom("deposit_accounts as a")
          .innerJoin("org_units as o", (j) =>
            j.onRef("o.tenant_id", "=", "a.tenant_id").onRef("o.id", "=", "a.merchant_id"),
          )
          .selectAll("a")
          .where("a.tenant_id", "=", actor.tenantId);
        if (actor.orgUnitPath) q = q.where("o.path", "like", subtreePattern(actor.orgUnitPath));
        if (request.query.status) q = q.where("a.status", "=", request.query.status);
        if (request.query.merchant_id) q = q.where("a.merchant_id", "=", request.query.merchant_id);
        if (request.query.starting_after) q = q.where("a.id", ">", request.query.starting_after);
        const rows = await q
          .orderBy("a.id")
          .limit(limit + 1)
          .execute();
        const settings = await readSettings(trx, actor.tenantId, clock.now());
        const data = [];
        for (const row of rows.slice(0, limit)) data.push(await accountView(trx, row, settings));
        return { object: "list" as const, data, has_more: rows.length > limit };
      });
    },
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
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const account = await loadAccount(trx, request.actor, request.params.id);
        return accountView(trx, account, await readSettings(trx, account.tenant_id, clock.now()));
      }),
  );

  app.put(
    "/v1/deposit-accounts/:id/warning-settings",
    {
      config: { permission: "deposits.manage" },
      schema: {
        tags,
        summary: "Balance warning value and contacts (up to 3 emails, 3 mobile numbers); required before use",
        params: AccountParams,
        body: Obj({
          warning_value: NonNegative,
          emails: Type.Array(Email, { maxItems: 10 }),
          phones: Type.Array(Phone, { maxItems: 10 }),
        }),
        response: { 200: DepositAccount, ...errorResponses(409, 422) },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const b = request.body;
        const account = await configureWarnings(
          trx,
          context(request),
          request.params.id,
          { warningValue: b.warning_value, emails: b.emails, phones: b.phones },
          clock.now(),
        );
        return accountView(trx, account, await loadSettings(trx, account.tenant_id, clock.now()));
      }),
  );

  valueRoute(app, deps, {
    method: "PATCH",
    url: "/v1/deposit-accounts/:id",
    config: { permission: "deposits.finance", idempotent: true },
    schema: {
      tags,
      summary: "Platform: mark abnormal / active / closed, override the suspension threshold",
      params: AccountParams,
      body: Obj(
        {
          status: Type.Optional(StringEnum(["abnormal", "active", "closed"] as const)),
          suspension_threshold: Type.Optional(Type.Union([NonNegative, Type.Null()])),
        },
        { minProperties: 1 },
      ),
      response: { 200: DepositAccount, ...errorResponses(409, 422) },
    },
    status: 200,
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      assertPlatform(request.actor);
      const before = await loadAccount(trx, request.actor, request.params.id, { lock: true });
      const b = request.body;
      if (b.status === "active" && before.activated_at === null) {
        throw new DepositsError("account_not_active", "An account becomes active by its first top-up");
      }
      if (b.status === "closed") {
        const balances = await depositBalances(uow, before);
        if (balances.balance !== 0 || balances.arrears !== 0) {
          throw new DepositsError(
            "account_closed",
            "Only an account with no balance and no arrears can be closed",
          );
        }
      }
      const after = await trx
        .updateTable("deposit_accounts")
        .set({
          ...(b.status ? { status: b.status } : {}),
          ...(b.suspension_threshold !== undefined ? { threshold_override: b.suspension_threshold } : {}),
          updated_at: clock.now(),
        })
        .where("tenant_id", "=", before.tenant_id)
        .where("id", "=", before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(
        trx,
        ctx,
        {
          action: "deposit_account.updated",
          targetType: "deposit_account",
          targetId: before.id,
          summary: changeSummary(before, after, ["status", "threshold_override"]),
        },
        clock.now(),
      );
      const settings = await loadSettings(trx, after.tenant_id, clock.now());
      const notices = await checkAccount(
        trx,
        {
          account: after,
          balances: await depositBalances(uow, after),
          settings,
          zone: await tenantZone(trx, after.tenant_id),
          warn: false,
        },
        clock.now(),
      );
      return { body: await accountView(trx, after, settings), notices };
    },
    respond: answer,
    after: afterCommit,
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
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      const { topup, receiving } = await requestTopup(
        trx,
        ctx,
        request.params.id,
        request.body.amount,
        clock.now(),
      );
      return { body: { ...serializeTopup(topup), receiving_account: receiving } };
    },
    respond: answer,
    after: afterCommit,
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
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const { rows, limit } = await accountRecords(
          trx,
          request.actor,
          request.params.id,
          "deposit_topups",
          request.query,
        );
        return toPage(rows, limit, serializeTopup);
      }),
  );

  const BankRecordIn = Obj({
    bank_transaction_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
    payer_name: Text(200),
    payer_account: Type.Optional(Type.String({ maxLength: 64 })),
    amount: Amount,
    asset: AssetCode,
    reference: Type.Optional(Type.String({ maxLength: 200 })),
    received_at: Timestamp,
  });

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
      assertPlatform(request.actor);
      const { actor } = request;
      const source = request.body.source ?? "api";
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
        notifierOf(deps),
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
      config: { permission: "deposits.finance" },
      schema: {
        tags,
        summary: "Bank records; `status=unmatched` is the queue to match manually or return",
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(BANK_RECORD_STATUSES)) }),
        response: { 200: listOf(BankRecord), ...errorResponses() },
      },
    },
    async (request) => {
      assertPlatform(request.actor);
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(request.actor.tenantId, async (trx) => {
        let q = trx
          .selectFrom("deposit_bank_records")
          .selectAll()
          .where("tenant_id", "=", request.actor.tenantId);
        if (request.query.status) q = q.where("status", "=", request.query.status);
        if (request.query.starting_after) q = q.where("id", ">", request.query.starting_after);
        return toPage(
          await q
            .orderBy("id")
            .limit(limit + 1)
            .execute(),
          limit,
          (r) => serializeRecord(r),
        );
      });
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
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      assertPlatform(request.actor);
      const { record, topup } = await lockRecordAndTopup(
        trx,
        request.actor.tenantId,
        request.params.id,
        request.body.topup_id,
      );
      const result = await applyMatch(trx, uow, request.actor, record, topup, clock.now());
      await recordAudit(
        trx,
        ctx,
        {
          action: "deposit_bank_record.matched",
          targetType: "deposit_bank_record",
          targetId: record.id,
          summary: { topup_id: topup.id },
        },
        clock.now(),
      );
      return { body: serializeRecord(result.record), notices: result.notices };
    },
    respond: answer,
    after: afterCommit,
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
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      assertPlatform(request.actor);
      const record = await lockRecord(trx, request.actor.tenantId, request.params.id);
      const updated = await trx
        .updateTable("deposit_bank_records")
        .set({ status: "returned", resolved_at: clock.now() })
        .where("tenant_id", "=", record.tenant_id)
        .where("id", "=", record.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(
        trx,
        ctx,
        {
          action: "deposit_bank_record.returned",
          targetType: "deposit_bank_record",
          targetId: record.id,
          summary: { note: request.body.note ?? null },
        },
        clock.now(),
      );
      return { body: serializeRecord(updated) };
    },
    respond: answer,
    after: afterCommit,
  });

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
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      const b = request.body;
      const campaign = await createCampaign(
        trx,
        uow,
        ctx,
        {
          merchantId: b.merchant_id,
          name: b.name,
          startsAt: new Date(b.starts_at),
          endsAt: new Date(b.ends_at),
        },
        clock.now(),
      );
      return { body: serializeCampaign(campaign) };
    },
    respond: answer,
    after: afterCommit,
  });

  app.get(
    "/v1/deposit-campaigns",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Campaigns of the caller's merchants",
        querystring: Obj({
          ...ListQuery,
          merchant_id: Type.Optional(IdParam),
          status: Type.Optional(StringEnum(CAMPAIGN_STATUSES)),
        }),
        response: { 200: listOf(Campaign), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(actor.tenantId, async (trx) => {
        let q = trx
          .selectFrom("deposit_campaigns as c")
          .innerJoin("org_units as o", (j) =>
            j.onRef("o.tenant_id", "=", "c.tenant_id").onRef("o.id", "=", "c.merchant_id"),
          )
          .selectAll("c")
          .where("c.tenant_id", "=", actor.tenantId);
        if (actor.orgUnitPath) q = q.where("o.path", "like", subtreePattern(actor.orgUnitPath));
        if (request.query.merchant_id) q = q.where("c.merchant_id", "=", request.query.merchant_id);
        if (request.query.status) q = q.where("c.status", "=", request.query.status);
        if (request.query.starting_after) q = q.where("c.id", ">", request.query.starting_after);
        return toPage(
          await q
            .orderBy("c.id")
            .limit(limit + 1)
            .execute(),
          limit,
          serializeCampaign,
        );
      });
    },
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
    respond: (result) =>
      result.outcome === "manual"
        ? { outcome: result.outcome, order: null, manual_item_id: result.manualItemId, reason: result.reason }
        : {
            outcome: result.outcome,
            order: serializeOrder(result.order),
            manual_item_id: null,
            reason: null,
          },
    after: (result, ctx, now) => afterCommit(result, ctx, now),
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
      after: (result, ctx, now) => afterCommit(result, ctx, now),
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
        querystring: Obj({
          ...ListQuery,
          type: Type.Optional(StringEnum(ENTRY_TYPES)),
          order_id: Type.Optional(IdParam),
          campaign_id: Type.Optional(IdParam),
          created_gte: Type.Optional(Timestamp),
          created_lt: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(Entry), ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const account = await loadAccount(trx, request.actor, request.params.id);
        const q0 = request.query;
        const limit = pageLimit(q0.limit);
        let q = trx
          .selectFrom("deposit_entries")
          .selectAll()
          .where("tenant_id", "=", account.tenant_id)
          .where("account_id", "=", account.id);
        if (q0.type) q = q.where("type", "=", q0.type);
        if (q0.order_id) q = q.where("order_id", "=", q0.order_id);
        if (q0.campaign_id) q = q.where("campaign_id", "=", q0.campaign_id);
        if (q0.created_gte) q = q.where("created_at", ">=", new Date(q0.created_gte));
        if (q0.created_lt) q = q.where("created_at", "<", new Date(q0.created_lt));
        if (q0.starting_after) q = q.where("id", ">", q0.starting_after);
        return toPage(
          await q
            .orderBy("id")
            .limit(limit + 1)
            .execute(),
          limit,
          serializeEntry,
        );
      }),
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
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const account = await loadAccount(trx, request.actor, request.params.id);
        const limit = pageLimit(request.query.limit);
        const s = await statement(trx, account.tenant_id, account.ledger_account_id, {
          limit,
          starting_after: request.query.starting_after,
          created_gte: request.query.created_gte ? new Date(request.query.created_gte) : undefined,
          created_lt: request.query.created_lt ? new Date(request.query.created_lt) : undefined,
        });
        const lines = (s?.entries ?? [])
          .filter((e) => e.posted_change !== 0)
          .map((e) => ({
            transfer_id: e.transfer_id,
            direction: e.posted_change > 0 ? ("income" as const) : ("expense" as const),
            amount: Math.abs(e.posted_change),
            code: e.code,
            reference_id: e.reference_id,
            balance: e.balance,
            created_at: e.created_at.toISOString(),
          }));
        return { object: "list" as const, data: lines, has_more: s?.has_more ?? false };
      }),
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
    input: (request) => request,
    op: async (uow, ctx, request) => {
      const { trx } = uow;
      const w = await requestWithdrawal(
        trx,
        uow,
        ctx,
        request.params.id,
        request.body.amount,
        request.body.reason ?? null,
        clock.now(),
      );
      return { body: serializeWithdrawal(w) };
    },
    respond: answer,
    after: afterCommit,
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
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const { rows, limit } = await accountRecords(
          trx,
          request.actor,
          request.params.id,
          "deposit_withdrawals",
          request.query,
        );
        return toPage(rows, limit, serializeWithdrawal);
      }),
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
      input: (request) => request,
      op: async (uow, ctx, request) => {
        const { trx } = uow;
        const result = await decideWithdrawal(
          trx,
          uow,
          ctx,
          request.params.id,
          action,
          request.body.reason ?? null,
          clock.now(),
        );
        return { body: serializeWithdrawal(result.withdrawal), notices: result.notices };
      },
      respond: answer,
      after: afterCommit,
    });
  }

  app.get(
    "/v1/deposit-manual-items",
    {
      config: { permission: "deposits.finance" },
      schema: {
        tags,
        summary: "The manual-handling list: freezes that could not be taken, failed payouts",
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(["open", "resolved"] as const)) }),
        response: {
          200: listOf(
            Type.Object({
              id: Type.String(),
              object: Type.Literal("deposit_manual_item"),
              account_id: Nullable(Type.String()),
              kind: Type.String(),
              reference_id: Nullable(Type.String()),
              detail: Type.Record(Type.String(), Type.Unknown()),
              status: Type.String(),
              created_at: Timestamp,
            }),
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      assertPlatform(request.actor);
      const limit = pageLimit(request.query.limit);
      return db.tenantTx(request.actor.tenantId, async (trx) => {
        let q = trx
          .selectFrom("deposit_manual_items")
          .selectAll()
          .where("tenant_id", "=", request.actor.tenantId);
        if (request.query.status) q = q.where("status", "=", request.query.status);
        if (request.query.starting_after) q = q.where("id", ">", request.query.starting_after);
        return toPage(
          await q
            .orderBy("id")
            .limit(limit + 1)
            .execute(),
          limit,
          (m) => ({
            id: m.id,
            object: "deposit_manual_item" as const,
            account_id: m.account_id,
            kind: m.kind,
            reference_id: m.reference_id,
            detail: m.detail,
            status: m.status,
            created_at: m.created_at.toISOString(),
          }),
        );
      });
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
          "A freeze that could not be taken is resolved here once handled outside (e.g. charged by invoice).",
        params: AccountParams,
        body: Obj({ note: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: {
          200: Type.Object({ id: Type.String(), status: Type.Literal("resolved") }),
          ...errorResponses(409),
        },
      },
    },
    async (request) => {
      assertPlatform(request.actor);
      const { tenantId } = request.actor;
      return db.tenantTx(tenantId, async (trx) => {
        const item = await trx
          .selectFrom("deposit_manual_items")
          .selectAll()
          .where("tenant_id", "=", tenantId)
          .where("id", "=", request.params.id)
          .forUpdate()
          .executeTakeFirst();
        if (!item) throw new DepositsError("manual_item_not_found", "Manual-handling item not found");
        if (item.kind === "withdrawal_failed" && item.status === "open") {
          throw new DepositsError(
            "withdrawal_state",
            "Pay or reject the failed withdrawal; that resolves its item",
          );
        }
        if (item.status === "open") {
          await trx
            .updateTable("deposit_manual_items")
            .set({ status: "resolved", resolved_at: clock.now() })
            .where("tenant_id", "=", tenantId)
            .where("id", "=", item.id)
            .execute();
          await recordAudit(
            trx,
            context(request),
            {
              action: "deposit_manual_item.resolved",
              targetType: "deposit_manual_item",
              targetId: item.id,
              summary: { kind: item.kind, reference_id: item.reference_id, note: request.body.note },
            },
            clock.now(),
          );
        }
        return { id: item.id, status: "resolved" as const };
      });
    },
  );

  app.post(
    "/v1/deposit-checks",
    {
      config: { permission: "deposits.finance" },
      schema: {
        tags,
        summary: "Run the breaker and warning re-check now (the schedule runs it every 20 minutes)",
        body: Obj({}),
        response: {
          200: Type.Object({ checked: Type.Integer(), notices: Type.Integer() }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      assertPlatform(request.actor);
      const result = await recheckTenant(deps, request.actor.tenantId, clock.now());
      return { checked: result.checked, notices: result.notices.length };
    },
  );

  await invoiceRoutes(app, deps);
}

async function lockRecord(trx: Tx, tenantId: string, id: string): Promise<BankRecordRow> {
  const record = await trx
    .selectFrom("deposit_bank_records")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!record) throw new DepositsError("bank_record_not_found", "Bank record not found");
  if (record.status !== "unmatched")
    throw new DepositsError("bank_record_not_unmatched", `The bank record is ${record.status}`);
  return record;
}

async function lockRecordAndTopup(trx: Tx, tenantId: string, recordId: string, topupId: string) {
  const record = await lockRecord(trx, tenantId, recordId);
  const topup = await trx
    .selectFrom("deposit_topups")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", topupId)
    .forUpdate()
    .executeTakeFirst();
  if (!topup) throw new DepositsError("topup_not_found", "Top-up application not found");
  return { record, topup };
}
