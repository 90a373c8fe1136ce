import { stringify } from "csv-stringify/sync";
import { type Static, Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../app-types.js";
import { recordAudit } from "../platform/audit/audit.js";
import { FINANCE } from "../platform/auth/permissions.js";
import { spreadsheetCell } from "../platform/files/registry.js";
import { pageLimit } from "../platform/http/pagination.js";
import {
  Amount,
  AssetCode,
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Metadata,
  Obj,
  StringEnum,
  Timestamp,
} from "../platform/http/schemas.js";
import { runIdempotent } from "../platform/idempotency/idempotency.js";
import { DomainError, defineErrors } from "../shared/errors.js";
import { formatMinor } from "../shared/money.js";
import { balancesOf } from "./engine.js";
import { voidExpiredHolds } from "./holds.js";
import {
  createAsset,
  findAccount,
  findTransfer,
  holdState,
  listAccounts,
  listAssets,
  listTransfers,
  MAX_EXPORT_ROWS,
  statement,
  trialBalance,
  verifyLedger,
} from "./queries.js";
import {
  type Account,
  type AccountResult,
  type AccountUpdate,
  type Asset,
  MAX_BATCH_TRANSFERS,
  MAX_TIMEOUT_SECONDS,
  type Transfer,
  type TransferResult,
} from "./types.js";

export const LEDGER_ERRORS = defineErrors({
  exists_with_different_fields: 409,
  pending_already_posted: 409,
  pending_already_voided: 409,
  asset_exists: 409,
});

const TAGS = ["ledger"];
const ClientId = Type.String({
  pattern: "^[A-Za-z0-9_-]{1,64}$",
  description: "Client-chosen id: makes the call idempotent",
});
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const TRANSFER_KINDS = ["posted", "pending", "post_pending", "void_pending"] as const;

const AssetSchema = Type.Object(
  {
    object: Type.Literal("ledger_asset"),
    code: Type.String(),
    scale: Type.Integer(),
    symbol: Nullable(Type.String()),
    name: Type.String(),
    created_at: Timestamp,
  },
  { $id: "LedgerAsset" },
);

const AccountSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("ledger_account"),
    asset: Type.String(),
    kind: Type.String(),
    owner_module: Nullable(Type.String()),
    owner_id: Nullable(Type.String()),
    debits_must_not_exceed_credits: Type.Boolean(),
    credits_must_not_exceed_debits: Type.Boolean(),
    overdraft_limit: Type.Integer(),
    frozen_debits: Type.Boolean(),
    frozen_credits: Type.Boolean(),
    closed: Type.Boolean(),
    expires_at: Nullable(Timestamp),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    debits_posted: Type.Integer(),
    credits_posted: Type.Integer(),
    debits_pending: Type.Integer(),
    credits_pending: Type.Integer(),
    balance: Type.Integer({ description: "Posted net on the account's normal side" }),
    available: Type.Integer({ description: "Balance minus holds on the limited side" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "LedgerAccount" },
);

const TransferSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("ledger_transfer"),
    kind: StringEnum(TRANSFER_KINDS),
    debit_account_id: Type.String(),
    credit_account_id: Type.String(),
    amount: Type.Integer(),
    asset: Type.String(),
    code: Type.String(),
    reference_module: Nullable(Type.String()),
    reference_id: Nullable(Type.String()),
    memo: Nullable(Type.String()),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    pending_id: Nullable(Type.String()),
    timeout_at: Nullable(Timestamp),
    hold_state: Type.Optional(StringEnum(["pending", "posted", "voided"] as const)),
    created_at: Timestamp,
  },
  { $id: "LedgerTransfer" },
);

const StatementEntrySchema = Type.Object({
  transfer_id: Type.String(),
  kind: StringEnum(TRANSFER_KINDS),
  direction: StringEnum(["debit", "credit"] as const),
  amount: Type.Integer(),
  posted_change: Type.Integer({ description: "Signed change of the posted balance" }),
  balance: Type.Integer({ description: "Posted balance after this entry" }),
  code: Type.String(),
  reference_module: Nullable(Type.String()),
  reference_id: Nullable(Type.String()),
  memo: Nullable(Type.String()),
  pending_id: Nullable(Type.String()),
  created_at: Timestamp,
});

const Short = Type.String({ minLength: 1, maxLength: 64 });
const TransferFields = {
  id: Type.Optional(ClientId),
  debit_account_id: IdParam,
  credit_account_id: IdParam,
  amount: Amount,
  asset: Type.Optional(AssetCode),
  code: Type.Optional(Type.String({ pattern: "^[a-z][a-z0-9_.]{0,63}$", examples: ["topup"] })),
  reference_module: Type.Optional(Nullable(Short)),
  reference_id: Type.Optional(Nullable(Short)),
  memo: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  metadata: Type.Optional(Nullable(Metadata)),
  pending: Type.Optional(Type.Boolean({ description: "A hold: reserve now, post or void later" })),
  timeout_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_SECONDS }))),
};
const TransferBody = Obj(TransferFields);
const BatchBody = Obj({
  transfers: Type.Array(
    Obj({
      ...TransferFields,
      linked: Type.Optional(
        Type.Boolean({ description: "Chain with the next item: the chain succeeds or fails as one" }),
      ),
    }),
    { minItems: 1, maxItems: MAX_BATCH_TRANSFERS },
  ),
});
const BatchResult = Type.Object({
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      result: Type.String({ description: "created, exists, or the refusal code" }),
      id: Type.Optional(Type.String()),
    }),
  ),
  created: Type.Integer(),
  failed: Type.Integer(),
});
const ResolveBody = Obj({
  id: Type.Optional(ClientId),
  amount: Type.Optional(Amount),
  code: Type.Optional(Type.String({ pattern: "^[a-z][a-z0-9_.]{0,63}$" })),
  memo: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  metadata: Type.Optional(Nullable(Metadata)),
});
const VoidBody = Obj({
  id: Type.Optional(ClientId),
  memo: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  metadata: Type.Optional(Nullable(Metadata)),
});
const TimeFilters = {
  created_gte: Type.Optional(Timestamp),
  created_lt: Type.Optional(Timestamp),
  code: Type.Optional(Short),
  reference_module: Type.Optional(Short),
  reference_id: Type.Optional(Short),
};

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function serializeAsset(a: Asset) {
  return { object: "ledger_asset" as const, ...a, created_at: a.created_at.toISOString() };
}

export function serializeAccount(a: Account) {
  const b = balancesOf(a);
  return {
    ...a,
    object: "ledger_account" as const,
    expires_at: iso(a.expires_at),
    balance: b.posted,
    available: b.available,
    created_at: a.created_at.toISOString(),
    updated_at: a.updated_at.toISOString(),
  };
}

export function serializeTransfer(t: Transfer, holdStateValue?: "pending" | "posted" | "voided") {
  return {
    id: t.id,
    object: "ledger_transfer" as const,
    kind: t.kind,
    debit_account_id: t.debit_account_id,
    credit_account_id: t.credit_account_id,
    amount: t.amount,
    asset: t.asset,
    code: t.code,
    reference_module: t.reference_module,
    reference_id: t.reference_id,
    memo: t.memo,
    metadata: t.metadata,
    pending_id: t.pending_id,
    timeout_at: iso(t.timeout_at),
    ...(holdStateValue ? { hold_state: holdStateValue } : {}),
    created_at: t.created_at.toISOString(),
  };
}

/** A refused operation answers problem+json with the ledger's own code. */
function refuse(r: Extract<TransferResult | AccountResult, { ok: false }>): never {
  throw new DomainError(r.code, r.detail);
}

const date = (s: string | undefined) => (s === undefined ? undefined : new Date(s));

/** `/v1/ledger/…`: assets, accounts, transfers, holds, statements, trial balance and verify. */
export async function ledgerRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, ledger } = deps;
  // Raw ledger accounts belong to no org unit: subtree-bound callers use the modules' APIs.
  const write = { permission: "ledger.write", idempotent: true, tenantWide: true };
  const read = { permission: "ledger.read", tenantWide: true };
  const accountParams = Obj({ id: IdParam });

  app.post(
    "/v1/ledger/assets",
    {
      config: write,
      schema: {
        tags: TAGS,
        summary: "Create an asset (idempotent on its code)",
        body: Obj({
          code: AssetCode,
          scale: Type.Integer({ minimum: 0, maximum: 8, description: "Minor-unit digits" }),
          symbol: Type.Optional(Nullable(Type.String({ maxLength: 8 }))),
          name: Type.String({ minLength: 1, maxLength: 100 }),
        }),
        response: { 200: AssetSchema, 201: AssetSchema, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      return runIdempotent(request, reply, deps, async (record) =>
        db.tenantTx(actor.tenantId, async (trx) => {
          const now = clock.now();
          const { created, asset } = await createAsset(trx, actor.tenantId, request.body, now);
          if (created) {
            await recordAudit(
              trx,
              { actor, requestId: request.id },
              { action: "ledger_asset.created", targetType: "ledger_asset", targetId: asset.code },
              now,
            );
          }
          return record(trx, created ? 201 : 200, serializeAsset(asset));
        }),
      );
    },
  );

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
    async (request) => {
      const tenantId = request.actor.tenantId;
      const assets = await db.tenantTx(tenantId, (trx) => listAssets(trx, tenantId));
      return { object: "list" as const, data: assets.map(serializeAsset), has_more: false };
    },
  );

  app.post(
    "/v1/ledger/accounts",
    {
      config: write,
      schema: {
        tags: TAGS,
        summary: "Open an account",
        body: Obj({
          id: Type.Optional(ClientId),
          asset: AssetCode,
          kind: Type.String({ pattern: "^[a-z][a-z0-9_]{0,63}$", examples: ["member_principal"] }),
          owner_module: Type.Optional(Nullable(Short)),
          owner_id: Type.Optional(Nullable(Short)),
          debits_must_not_exceed_credits: Type.Optional(Type.Boolean()),
          credits_must_not_exceed_debits: Type.Optional(Type.Boolean()),
          overdraft_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
          expires_at: Type.Optional(Nullable(Timestamp)),
          metadata: Type.Optional(Metadata),
        }),
        response: { 200: AccountSchema, 201: AccountSchema, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const body = request.body;
      return runIdempotent(request, reply, deps, async (record) =>
        ledger.run(actor.tenantId, async (uow) => {
          const r = await uow.createAccount({
            ...body,
            expires_at: body.expires_at ? new Date(body.expires_at) : null,
          });
          if (!r.ok) refuse(r);
          if (r.code === "created") {
            await recordAudit(
              uow,
              { actor, requestId: request.id },
              { action: "ledger_account.created", targetType: "ledger_account", targetId: r.account.id },
              clock.now(),
            );
          }
          return record(uow, r.code === "created" ? 201 : 200, serializeAccount(r.account));
        }),
      );
    },
  );

  app.get(
    "/v1/ledger/accounts",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "List accounts",
        querystring: Obj({
          ...ListQuery,
          asset: Type.Optional(AssetCode),
          kind: Type.Optional(Short),
          owner_module: Type.Optional(Short),
          owner_id: Type.Optional(Short),
        }),
        response: { 200: listOf(AccountSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(tenantId, (trx) =>
        listAccounts(trx, tenantId, { ...request.query, limit }),
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
        params: accountParams,
        response: { 200: AccountSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const account = await db.tenantTx(tenantId, (trx) => findAccount(trx, tenantId, request.params.id));
      if (!account) throw new DomainError("account_not_found", `Account ${request.params.id} not found`);
      return serializeAccount(account);
    },
  );

  const accountAction = (
    verb: "freeze" | "unfreeze" | "close",
    summary: string,
    update: (body: { debits?: boolean; credits?: boolean }) => AccountUpdate,
  ) =>
    app.post(
      `/v1/ledger/accounts/:id/${verb}`,
      {
        config: write,
        schema: {
          tags: TAGS,
          summary,
          params: accountParams,
          body: Type.Optional(
            Obj({
              debits: Type.Optional(Type.Boolean({ default: true })),
              credits: Type.Optional(Type.Boolean({ default: true })),
            }),
          ),
          response: { 200: AccountSchema, ...errorResponses(409, 422) },
        },
      },
      async (request, reply) => {
        const actor = request.actor;
        const id = request.params.id;
        return runIdempotent(request, reply, deps, async (record) =>
          ledger.run(actor.tenantId, async (uow) => {
            const r = await uow.updateAccount(id, update(request.body ?? {}));
            if (!r.ok) refuse(r);
            await recordAudit(
              uow,
              { actor, requestId: request.id },
              { action: `ledger_account.${verb}`, targetType: "ledger_account", targetId: id },
              clock.now(),
            );
            return record(uow, 200, serializeAccount(r.account));
          }),
        );
      },
    );
  accountAction("freeze", "Freeze an account's debits and/or credits", (b) => ({
    ...(b.debits !== false ? { frozen_debits: true } : {}),
    ...(b.credits !== false ? { frozen_credits: true } : {}),
  }));
  accountAction("unfreeze", "Unfreeze an account's debits and/or credits", (b) => ({
    ...(b.debits !== false ? { frozen_debits: false } : {}),
    ...(b.credits !== false ? { frozen_credits: false } : {}),
  }));
  accountAction("close", "Close an account for good (it must have no holds)", () => ({ closed: true }));

  const StatementQuery = Obj({ ...ListQuery, ...TimeFilters });
  app.get(
    "/v1/ledger/accounts/:id/statement",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "An account's entries with running balance, oldest first",
        params: accountParams,
        querystring: StatementQuery,
        response: {
          200: Type.Object({
            object: Type.Literal("list"),
            account: AccountSchema,
            data: Type.Array(StatementEntrySchema),
            has_more: Type.Boolean(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const q = request.query;
      const s = await db.tenantTx(tenantId, (trx) =>
        statement(trx, tenantId, request.params.id, {
          ...q,
          limit: pageLimit(q.limit),
          created_gte: date(q.created_gte),
          created_lt: date(q.created_lt),
        }),
      );
      if (!s) throw new DomainError("account_not_found", `Account ${request.params.id} not found`);
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
        params: accountParams,
        querystring: Obj(TimeFilters),
        produces: ["text/csv"],
        response: { 200: Type.String(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const tenantId = request.actor.tenantId;
      const q = request.query;
      const result = await db.tenantTx(tenantId, async (trx) => {
        const s = await statement(trx, tenantId, request.params.id, {
          ...q,
          limit: MAX_EXPORT_ROWS,
          created_gte: date(q.created_gte),
          created_lt: date(q.created_lt),
        });
        const asset = s
          ? await trx
              .selectFrom("ledger_assets")
              .select("scale")
              .where("tenant_id", "=", tenantId)
              .where("code", "=", s.account.asset)
              .executeTakeFirst()
          : undefined;
        return s ? { s, scale: asset?.scale ?? 0 } : undefined;
      });
      if (!result) throw new DomainError("account_not_found", `Account ${request.params.id} not found`);
      if (result.s.has_more) {
        throw new DomainError(
          "limit_exceeded",
          `The statement has more than ${MAX_EXPORT_ROWS} entries; narrow created_gte / created_lt`,
        );
      }
      const { s, scale } = result;
      const csv = stringify(
        s.entries.map((e) =>
          [
            e.created_at.toISOString(),
            e.transfer_id,
            e.kind,
            e.direction,
            e.code,
            formatMinor(e.posted_change, scale),
            formatMinor(e.balance, scale),
            e.kind === "pending" ? formatMinor(e.amount, scale) : "",
            e.reference_module ?? "",
            e.reference_id ?? "",
            e.memo ?? "",
          ].map(spreadsheetCell),
        ),
        {
          header: true,
          columns: [
            "created_at",
            "transfer_id",
            "kind",
            "direction",
            "code",
            "change",
            "balance",
            "held",
            "reference_module",
            "reference_id",
            "memo",
          ],
        },
      );
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="statement-${request.params.id}.csv"`);
      return csv;
    },
  );

  app.post(
    "/v1/ledger/transfers",
    {
      config: write,
      schema: {
        tags: TAGS,
        summary: "Transfer between two accounts, or place a hold (`pending: true`)",
        body: TransferBody,
        response: { 200: TransferSchema, 201: TransferSchema, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const body = request.body;
      return runIdempotent(request, reply, deps, async (record) =>
        ledger.run(
          actor.tenantId,
          async (uow) => {
            const r = await uow.transfer(body);
            if (!r.ok) refuse(r);
            if (r.code === "created") {
              await recordAudit(
                uow,
                { actor, requestId: request.id },
                {
                  action: r.transfer.kind === "pending" ? "ledger_hold.created" : "ledger_transfer.created",
                  targetType: "ledger_transfer",
                  targetId: r.transfer.id,
                  summary: { amount: r.transfer.amount, asset: r.transfer.asset, code: r.transfer.code },
                },
                clock.now(),
              );
            }
            return record(uow, r.code === "created" ? 201 : 200, serializeTransfer(r.transfer));
          },
          { lock: [body.debit_account_id, body.credit_account_id] },
        ),
      );
    },
  );

  app.post(
    "/v1/ledger/transfers/batch",
    {
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
    },
    async (request, reply) => {
      const actor = request.actor;
      const items = request.body.transfers;
      return runIdempotent(request, reply, deps, async (record) =>
        ledger.run(actor.tenantId, async (uow) => {
          const results = await uow.batch(items);
          let created = 0;
          let failed = 0;
          const out = results.map((r, index) => {
            if (r.ok) {
              if (r.code === "created") created++;
              return { index, result: r.code, id: r.transfer.id };
            }
            failed++;
            return { index, result: r.code };
          });
          if (created > 0) {
            await recordAudit(
              uow,
              { actor, requestId: request.id },
              {
                action: "ledger_transfer.batch_created",
                targetType: "ledger_transfer",
                targetId: null,
                summary: { created, failed, items: items.length },
              },
              clock.now(),
            );
          }
          return record(uow, 200, { results: out, created, failed });
        }),
      );
    },
  );

  const resolveRoute = (verb: "post" | "void") =>
    app.post(
      `/v1/ledger/transfers/:id/${verb}`,
      {
        config: write,
        schema: {
          tags: TAGS,
          summary: verb === "post" ? "Post a hold, all or part of it" : "Void a hold",
          params: accountParams,
          body: Type.Optional(verb === "post" ? ResolveBody : VoidBody),
          response: { 200: TransferSchema, 201: TransferSchema, ...errorResponses(409, 422) },
        },
      },
      async (request, reply) => {
        const actor = request.actor;
        const body = (request.body ?? {}) as Static<typeof ResolveBody>;
        const pendingId = request.params.id;
        return runIdempotent(request, reply, deps, async (record) =>
          ledger.run(actor.tenantId, async (uow) => {
            const input = { ...body, pending_id: pendingId };
            const r = verb === "post" ? await uow.post(input) : await uow.void(input);
            if (!r.ok) refuse(r);
            if (r.code === "created") {
              await recordAudit(
                uow,
                { actor, requestId: request.id },
                {
                  action: verb === "post" ? "ledger_hold.posted" : "ledger_hold.voided",
                  targetType: "ledger_transfer",
                  targetId: pendingId,
                  summary: { amount: r.transfer.amount, resolution_id: r.transfer.id },
                },
                clock.now(),
              );
            }
            return record(uow, r.code === "created" ? 201 : 200, serializeTransfer(r.transfer));
          }),
        );
      },
    );
  resolveRoute("post");
  resolveRoute("void");

  app.get(
    "/v1/ledger/transfers",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "List transfers, newest first",
        querystring: Obj({
          ...ListQuery,
          ...TimeFilters,
          account_id: Type.Optional(IdParam),
          kind: Type.Optional(StringEnum(TRANSFER_KINDS)),
          pending_id: Type.Optional(IdParam),
        }),
        response: { 200: listOf(TransferSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(tenantId, (trx) =>
        listTransfers(trx, tenantId, {
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
        params: accountParams,
        response: { 200: TransferSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const found = await db.tenantTx(tenantId, async (trx) => {
        const t = await findTransfer(trx, tenantId, request.params.id);
        if (!t) return undefined;
        const state = t.kind === "pending" ? (await holdState(trx, tenantId, t.id)).state : undefined;
        return { t, state };
      });
      if (!found) throw new DomainError("transfer_not_found", `Transfer ${request.params.id} not found`);
      return serializeTransfer(found.t, found.state);
    },
  );

  // Sums over every account of an asset may pass 2^53: exact decimal strings.
  const Sum = Type.String({ pattern: "^-?[0-9]+$", examples: ["1250000"] });
  const TrialRow = Type.Object({
    asset: Type.String(),
    accounts: Type.Integer(),
    debits_posted: Sum,
    credits_posted: Sum,
    debits_pending: Sum,
    credits_pending: Sum,
    balanced: Type.Boolean(),
  });

  app.get(
    "/v1/ledger/trial-balance",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "Σdebits and Σcredits per asset over all accounts",
        response: {
          200: Type.Object({ object: Type.Literal("trial_balance"), assets: Type.Array(TrialRow) }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const tenantId = request.actor.tenantId;
      const rows = await db.tenantTx(tenantId, (trx) => trialBalance(trx, tenantId));
      return { object: "trial_balance" as const, assets: rows };
    },
  );

  app.get(
    "/v1/ledger/verify",
    {
      config: read,
      schema: {
        tags: TAGS,
        summary: "Recompute every balance from the journal and report any difference",
        response: {
          200: Type.Object({
            object: Type.Literal("ledger_verification"),
            ok: Type.Boolean(),
            accounts_checked: Type.Integer(),
            transfers_checked: Type.Integer(),
            differences: Type.Array(
              Type.Object({
                account_id: Type.String(),
                field: Type.String(),
                stored: Nullable(Type.Integer()),
                journal: Type.Union([Type.Integer(), Sum]),
              }),
            ),
            malformed_transfers: Type.Array(Type.String()),
            flag_violations: Type.Array(Type.String()),
            trial_balance: Type.Array(TrialRow),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const report = await verifyLedger(db, request.actor.tenantId);
      return { object: "ledger_verification" as const, ...report };
    },
  );
}

export const LEDGER_HOLD_EXPIRY_JOB = "ledger.void_expired_holds";

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
};
