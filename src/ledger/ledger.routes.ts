import { type Static, Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../app-types.js";
import { FINANCE } from "../platform/auth/permissions.js";
import { pageLimit } from "../platform/http/pagination.js";
import { errorResponses, listOf, Obj } from "../platform/http/schemas.js";
import { valueRoute } from "../platform/http/value-route.js";
import { DomainError, defineErrors } from "../shared/errors.js";
import { addAsset } from "./add-asset.js";
import { changeLedgerAccount } from "./change-ledger-account.js";
import { LEDGER_HOLD_EXPIRY_JOB, unresolvedHold, voidExpiredHolds } from "./holds.js";
import {
  AccountBody,
  AccountParams,
  AccountQuery,
  AccountSchema,
  AssetBody,
  AssetSchema,
  BatchBody,
  BatchResult,
  date,
  ResolveBody,
  SidesBody,
  Statement,
  StatementQuery,
  serializeAccount,
  serializeAsset,
  serializeTransfer,
  TAGS,
  TimeFilters,
  TransferBody,
  TransferQuery,
  TransferSchema,
  TrialBalance,
  Verification,
  VoidBody,
} from "./ledger.schemas.js";
import { makeTransfer, makeTransfers } from "./make-transfer.js";
import { openLedgerAccount } from "./open-ledger-account.js";
import {
  accountQuery,
  accountsQuery,
  assetsQuery,
  findTransfer,
  holdState,
  listTransfers,
  MAX_EXPORT_ROWS,
  statement,
  trialBalanceOf,
  trialBalanceQuery,
  verifyLedger,
} from "./queries.js";
import { resolveHold } from "./resolve-hold.js";
import { statementCsv } from "./statement-csv.js";
import { type AccountUpdate, MAX_BATCH_TRANSFERS } from "./types.js";

export const LEDGER_ERRORS = defineErrors({
  exists_with_different_fields: 409,
  pending_already_posted: 409,
  pending_already_voided: 409,
  asset_exists: 409,
});

/** A write that answers 201 when it created something, 200 when the same id already existed. */
const createdOr200 = (r: { code: string }) => (r.code === "created" ? 201 : 200);

/** `/v1/ledger/…`: assets, accounts, transfers, holds, statements, trial balance and verify. */
export async function ledgerRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db } = deps;
  // Raw ledger accounts belong to no org unit: subtree-bound callers use the modules' APIs.
  const write = { permission: "ledger.write", idempotent: true, tenantWide: true };
  const read = { permission: "ledger.read", tenantWide: true };

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/ledger/assets",
    config: write,
    schema: {
      tags: TAGS,
      summary: "Create an asset (idempotent on its code)",
      body: AssetBody,
      response: { 200: AssetSchema, 201: AssetSchema, ...errorResponses(409, 422) },
    },
    batched: false,
    input: ({ body }) => body,
    op: ({ trx }, ctx, input, now) => addAsset(trx, ctx, input, now),
    status: (r) => (r.created ? 201 : 200),
    respond: (r) => serializeAsset(r.asset),
  });

  app.get(
    "/v1/ledger/assets",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "List assets",
        response: { 200: listOf(AssetSchema), ...errorResponses() },
      },
    },
    async ({ actor }) => {
      const assets = await db.tenantQuery(actor.tenantId, assetsQuery(db.kysely, actor.tenantId));
      return { object: "list" as const, data: assets.map(serializeAsset), has_more: false };
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/ledger/accounts",
    config: write,
    schema: {
      tags: TAGS,
      summary: "Open an account",
      body: AccountBody,
      response: { 200: AccountSchema, 201: AccountSchema, ...errorResponses(409, 422) },
    },
    input: ({ body }) => ({ ...body, expires_at: body.expires_at ? new Date(body.expires_at) : null }),
    op: openLedgerAccount,
    ledgerOnly: true,
    status: createdOr200,
    respond: (r) => serializeAccount(r.account),
  });

  app.get(
    "/v1/ledger/accounts",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "List accounts",
        querystring: AccountQuery,
        response: { 200: listOf(AccountSchema), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      const limit = pageLimit(query.limit);
      const rows = await db.tenantQuery(
        actor.tenantId,
        accountsQuery(db.kysely, actor.tenantId, { ...query, limit }),
      );
      return {
        object: "list" as const,
        data: rows.slice(0, limit).map(serializeAccount),
        has_more: rows.length > limit,
      };
    },
  );

  app.get(
    "/v1/ledger/accounts/:id",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "Get an account with its balances",
        params: AccountParams,
        response: { 200: AccountSchema, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const [account] = await db.tenantQuery(
        actor.tenantId,
        accountQuery(db.kysely, actor.tenantId, params.id),
      );
      if (!account) throw new DomainError("account_not_found", `Account ${params.id} not found`);
      return serializeAccount(account);
    },
  );

  const accountAction = (
    verb: "freeze" | "unfreeze" | "close",
    summary: string,
    update: (body: { debits?: boolean; credits?: boolean }) => AccountUpdate,
  ) =>
    valueRoute(app, deps, {
      method: "POST",
      url: `/v1/ledger/accounts/:id/${verb}`,
      config: write,
      schema: {
        tags: TAGS,
        summary,
        params: AccountParams,
        body: SidesBody,
        response: { 200: AccountSchema, ...errorResponses(409, 422) },
      },
      status: 200,
      input: ({ params, body }) => ({ id: params.id, verb, update: update(body ?? {}) }),
      op: changeLedgerAccount,
      ledgerOnly: true,
      respond: serializeAccount,
    });
  accountAction("freeze", "Freeze an account's debits and/or credits", (b) => ({
    ...(b.debits !== false ? { frozen_debits: true } : {}),
    ...(b.credits !== false ? { frozen_credits: true } : {}),
  }));
  accountAction("unfreeze", "Unfreeze an account's debits and/or credits", (b) => ({
    ...(b.debits !== false ? { frozen_debits: false } : {}),
    ...(b.credits !== false ? { frozen_credits: false } : {}),
  }));
  accountAction("close", "Close an account for good (it must have no holds)", () => ({ closed: true }));

  app.get(
    "/v1/ledger/accounts/:id/statement",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "An account's entries with running balance, oldest first",
        params: AccountParams,
        querystring: StatementQuery,
        response: { 200: Statement, ...errorResponses() },
      },
    },
    async ({ actor, params, query: q }) => {
      const s = await db.tenantTx(actor.tenantId, (trx) =>
        statement(trx, actor.tenantId, params.id, {
          ...q,
          limit: pageLimit(q.limit),
          created_gte: date(q.created_gte),
          created_lt: date(q.created_lt),
        }),
      );
      if (!s) throw new DomainError("account_not_found", `Account ${params.id} not found`);
      return {
        object: "list" as const,
        account: serializeAccount(s.account),
        data: s.entries.map((e) => ({ ...e, created_at: e.created_at.toISOString() })),
        has_more: s.has_more,
      };
    },
  );

  app.get(
    "/v1/ledger/accounts/:id/statement.csv",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: `The statement as CSV (at most ${MAX_EXPORT_ROWS} rows; narrow the time range for more)`,
        params: AccountParams,
        querystring: Obj(TimeFilters),
        produces: ["text/csv"],
        response: { 200: Type.String(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { actor, params, query: q } = request;
      const csv = await db.tenantTx(actor.tenantId, (trx) =>
        statementCsv(trx, actor.tenantId, params.id, {
          ...q,
          created_gte: date(q.created_gte),
          created_lt: date(q.created_lt),
        }),
      );
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="statement-${params.id}.csv"`);
      return csv;
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/ledger/transfers",
    config: write,
    schema: {
      tags: TAGS,
      summary: "Transfer between two accounts, or place a hold (`pending: true`)",
      body: TransferBody,
      response: { 200: TransferSchema, 201: TransferSchema, ...errorResponses(409, 422) },
    },
    input: ({ body }) => body,
    lock: (input) => [input.debit_account_id, input.credit_account_id],
    op: makeTransfer,
    ledgerOnly: true,
    status: createdOr200,
    respond: (r) => serializeTransfer(r.transfer),
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/ledger/transfers/batch",
    config: write,
    bodyLimit: 8 * 1024 * 1024,
    schema: {
      tags: TAGS,
      summary: `Up to ${MAX_BATCH_TRANSFERS} transfers in one call, each with its own result`,
      description:
        "Items are independent unless `linked: true` chains an item with the next one; a chain succeeds or fails as one. " +
        "Give each item an `id` to make retries safe.",
      body: BatchBody,
      response: { 200: BatchResult, ...errorResponses(409, 422) },
    },
    status: 200,
    input: ({ body }) => body.transfers,
    op: makeTransfers,
    ledgerOnly: true,
    respond: (result) => result,
  });

  const resolveRoute = (verb: "post" | "void") =>
    valueRoute(app, deps, {
      method: "POST",
      url: `/v1/ledger/transfers/:id/${verb}`,
      config: write,
      schema: {
        tags: TAGS,
        summary:
          verb === "post"
            ? "Post a hold, all or part of what is pending (the rest is released)"
            : "Void a hold, all or part of what is pending (the rest stays pending)",
        params: AccountParams,
        body: Type.Optional(verb === "post" ? ResolveBody : VoidBody),
        response: { 200: TransferSchema, 201: TransferSchema, ...errorResponses(409, 422) },
      },
      input: ({ params, body }) => ({
        ...((body ?? {}) as Static<typeof ResolveBody>),
        pending_id: params.id,
        verb,
      }),
      op: resolveHold,
      ledgerOnly: true,
      status: createdOr200,
      respond: (r) => serializeTransfer(r.transfer),
    });
  resolveRoute("post");
  resolveRoute("void");

  app.get(
    "/v1/ledger/transfers",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "List transfers, newest first",
        querystring: TransferQuery,
        response: { 200: listOf(TransferSchema), ...errorResponses() },
      },
    },
    async ({ actor, query: q }) => {
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, (trx) =>
        listTransfers(trx, actor.tenantId, {
          ...q,
          limit,
          order: "desc",
          created_gte: date(q.created_gte),
          created_lt: date(q.created_lt),
        }),
      );
      return {
        object: "list" as const,
        data: rows.slice(0, limit).map((t) => serializeTransfer(t)),
        has_more: rows.length > limit,
      };
    },
  );

  app.get(
    "/v1/ledger/transfers/:id",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "Get a transfer (a hold also shows whether it is still pending)",
        params: AccountParams,
        response: { 200: TransferSchema, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const tenantId = actor.tenantId;
      const found = await db.tenantTx(tenantId, async (trx) => {
        const t = await findTransfer(trx, tenantId, params.id);
        if (!t) return undefined;
        const hold = t.kind === "pending" ? await holdState(trx, tenantId, t.id) : undefined;
        return { t, hold };
      });
      if (!found) throw new DomainError("transfer_not_found", `Transfer ${params.id} not found`);
      return serializeTransfer(found.t, found.hold);
    },
  );

  app.get(
    "/v1/ledger/trial-balance",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "Σdebits and Σcredits per asset over all accounts",
        response: { 200: TrialBalance, ...errorResponses() },
      },
    },
    async ({ actor }) => {
      const rows = await db.tenantQuery(actor.tenantId, trialBalanceQuery(db.kysely, actor.tenantId));
      return { object: "trial_balance" as const, assets: trialBalanceOf(rows) };
    },
  );

  app.get(
    "/v1/ledger/verify",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "Recompute every balance from the journal and report any difference",
        response: { 200: Verification, ...errorResponses() },
      },
    },
    async ({ actor }) => ({
      object: "ledger_verification" as const,
      ...(await verifyLedger(db, actor.tenantId)),
    }),
  );
}

/** The ledger's API, its permissions and its hold-expiry job. */
export const ledgerManifest: ModuleManifest = {
  name: "ledger",
  routes: ledgerRoutes,
  permissions: { "ledger.read": FINANCE, "ledger.write": FINANCE },
  errors: LEDGER_ERRORS,
  // Holds with a timeout void themselves: every minute, across tenants, at the clock's now.
  jobs: (deps) => [
    {
      name: LEDGER_HOLD_EXPIRY_JOB,
      policy: "stately",
      handler: async () => ({ voided: await voidExpiredHolds(deps.ledger, "all", deps.clock.now()) }),
    },
  ],
  crons: [{ name: LEDGER_HOLD_EXPIRY_JOB, cron: "* * * * *" }],
  timers: [
    {
      job: LEDGER_HOLD_EXPIRY_JOB,
      due: [
        {
          table: "ledger_transfers",
          at: "timeout_at",
          where: `kind = 'pending' and ${unresolvedHold("ledger_transfers")}`,
        },
      ],
      run: (deps, tenantId, now) => voidExpiredHolds(deps.ledger, tenantId, now),
    },
  ],
};
