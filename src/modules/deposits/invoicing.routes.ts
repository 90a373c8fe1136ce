import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Actor } from "../../platform/auth/actor.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { invoiceNetAllowed, MAX_MAIL_ADDRESSES } from "./deposit-rules.js";
import { accountRecordsPage, INVOICE_STATUSES, loadAccount, readSettings } from "./deposits.repository.js";
import { Entry, serializeEntry } from "./deposits.serialize.js";
import {
  addAddress,
  type CandidateFilter,
  candidates,
  candidateTotals,
  decideInvoice,
  decideProfile,
  INVOICE_ACTIONS,
  loadProfile,
  MAX_INVOICE_ENTRIES,
  PROFILE_ACTIONS,
  removeAddress,
  requestInvoice,
  saveProfile,
} from "./invoicing.js";
import {
  Address,
  InvoiceRequest,
  Profile,
  serializeAddress,
  serializeProfile,
  serializeRequest,
} from "./invoicing.schemas.js";

const CandidateQuery = {
  type: Type.Optional(StringEnum(["settle", "settled_refund"] as const)),
  created_gte: Type.Optional(Timestamp),
  created_lt: Type.Optional(Timestamp),
};
const filterOf = (q: {
  type?: "settle" | "settled_refund";
  created_gte?: string;
  created_lt?: string;
}): CandidateFilter => ({
  ...(q.type ? { type: q.type } : {}),
  ...(q.created_gte ? { createdGte: new Date(q.created_gte) } : {}),
  ...(q.created_lt ? { createdLt: new Date(q.created_lt) } : {}),
});

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const AccountParams = Obj({ id: IdParam });

/** Invoicing: qualification, mailing addresses (≤ 3), candidates (15 days), requests (net ≥ 100.00). */
export async function invoiceRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const tags = ["deposits"];
  const context = (request: { actor: Actor; id: string }) => ({
    actor: request.actor,
    requestId: request.id,
  });

  app.get(
    "/v1/deposit-accounts/:id/invoice-profile",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "The invoice qualification",
        params: AccountParams,
        response: { 200: Profile, ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const account = await loadAccount(trx, request.actor, request.params.id);
        const profile = await loadProfile(trx, account);
        if (profile) return serializeProfile(profile);
        const settings = await readSettings(trx, account.tenant_id, clock.now());
        const binding = await trx
          .selectFrom("deposit_bank_bindings")
          .select("company_name")
          .where("tenant_id", "=", account.tenant_id)
          .where("merchant_id", "=", account.merchant_id)
          .executeTakeFirstOrThrow();
        return serializeProfile({
          tenant_id: account.tenant_id,
          account_id: account.id,
          company_name: binding.company_name,
          tax_rate_bps: settings.tax_rate_bps,
          company_address: null,
          company_phone: null,
          bank_name: null,
          bank_account: null,
          tax_id: null,
          status: "draft",
          reject_reason: null,
          created_at: account.created_at,
          updated_at: account.updated_at,
        });
      }),
  );

  app.put(
    "/v1/deposit-accounts/:id/invoice-profile",
    {
      config: { permission: "deposits.manage" },
      schema: {
        tags,
        summary: "Complete the invoice qualification (back to draft until submitted)",
        params: AccountParams,
        body: Obj({
          company_address: Type.Optional(Text(300)),
          company_phone: Type.Optional(Type.String({ maxLength: 30, pattern: "^[0-9+() -]{5,30}$" })),
          bank_name: Type.Optional(Text(200)),
          bank_account: Type.Optional(Type.String({ maxLength: 40, pattern: "^[0-9 -]{4,40}$" })),
          tax_id: Type.Optional(Type.String({ maxLength: 20, pattern: "^[0-9A-Z]{15,20}$" })),
        }),
        response: { 200: Profile, ...errorResponses(422) },
      },
    },
    async (request) => {
      const b = request.body;
      const row = await db.tenantTx(request.actor.tenantId, (trx) =>
        saveProfile(
          trx,
          context(request),
          request.params.id,
          {
            companyAddress: b.company_address,
            companyPhone: b.company_phone,
            bankName: b.bank_name,
            bankAccount: b.bank_account,
            taxId: b.tax_id,
          },
          clock.now(),
        ),
      );
      return serializeProfile(row);
    },
  );

  for (const action of PROFILE_ACTIONS) {
    app.post(
      `/v1/deposit-accounts/:id/invoice-profile/${action}`,
      {
        config: { permission: action === "submit" ? "deposits.manage" : "deposits.finance" },
        schema: {
          tags,
          summary: {
            submit: "Submit the completed qualification for verification (→ verifying)",
            verify: "Platform finance verifies the qualification (→ verified)",
            reject: "Platform finance rejects the qualification with a reason (→ rejected)",
          }[action],
          params: AccountParams,
          body: Obj({ reason: Type.Optional(Text(500)) }),
          response: { 200: Profile, ...errorResponses(409, 422) },
        },
      },
      async (request) => {
        const row = await db.tenantTx(request.actor.tenantId, (trx) =>
          decideProfile(
            trx,
            context(request),
            request.params.id,
            action,
            request.body.reason ?? null,
            clock.now(),
          ),
        );
        return serializeProfile(row);
      },
    );
  }

  app.get(
    "/v1/deposit-accounts/:id/mail-addresses",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: `Mailing addresses for paper invoices (at most ${MAX_MAIL_ADDRESSES})`,
        params: AccountParams,
        response: { 200: listOf(Address), ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const account = await loadAccount(trx, request.actor, request.params.id);
        const rows = await trx
          .selectFrom("deposit_mail_addresses")
          .selectAll()
          .where("tenant_id", "=", account.tenant_id)
          .where("account_id", "=", account.id)
          .orderBy("id")
          .limit(MAX_MAIL_ADDRESSES)
          .execute();
        return toPage(rows, MAX_MAIL_ADDRESSES, serializeAddress);
      }),
  );

  app.post(
    "/v1/deposit-accounts/:id/mail-addresses",
    {
      config: { permission: "deposits.manage" },
      schema: {
        tags,
        summary: "Add a mailing address",
        params: AccountParams,
        body: Obj({
          recipient: Text(100),
          phone: Type.String({ maxLength: 30, pattern: "^[0-9+() -]{5,30}$" }),
          address: Text(300),
        }),
        response: { 201: Address, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const row = await db.tenantTx(request.actor.tenantId, (trx) =>
        addAddress(trx, context(request), request.params.id, request.body, clock.now()),
      );
      reply.status(201);
      return serializeAddress(row);
    },
  );

  app.delete(
    "/v1/deposit-accounts/:id/mail-addresses/:address_id",
    {
      config: { permission: "deposits.manage" },
      schema: {
        tags,
        summary: "Remove a mailing address",
        params: Obj({ id: IdParam, address_id: IdParam }),
        response: { 204: Type.Null(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      await db.tenantTx(request.actor.tenantId, (trx) =>
        removeAddress(trx, context(request), request.params.id, request.params.address_id, clock.now()),
      );
      reply.status(204);
      return null;
    },
  );

  app.get(
    "/v1/deposit-accounts/:id/invoice-candidates",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary:
          "Settled transactions at least 15 days old and not yet invoiced, with totals (all are taken)",
        params: AccountParams,
        querystring: Obj({ ...CandidateQuery, limit: ListQuery.limit }),
        response: {
          200: Type.Object({
            object: Type.Literal("deposit_invoice_candidates"),
            profile: Type.Union([Profile, Type.Null()]),
            addresses: Type.Array(Address),
            settled_amount: Type.Integer(),
            refunded_amount: Type.Integer(),
            net_amount: Type.Integer(),
            count: Type.Integer({ description: "All candidates of the filter (the totals are theirs)" }),
            min_net_amount: Type.Integer({ description: "The net amount must be greater than this" }),
            max_count: Type.Integer({
              description: "One request takes at most this many transactions; narrow the time range beyond",
            }),
            allowed: Type.Boolean({
              description:
                "Verified qualification, an address, net > the minimum and count ≤ max_count: whether the request would be taken",
            }),
            data: Type.Array(Entry),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) => {
        const now = clock.now();
        const account = await loadAccount(trx, request.actor, request.params.id);
        const filter = filterOf(request.query);
        // Totals of every candidate, not of the rows read: the request takes all or refuses.
        const totals = await candidateTotals(trx, account, filter, now);
        const entries = await candidates(trx, account, filter, now, {
          limit: pageLimit(request.query.limit),
        });
        const settings = await readSettings(trx, account.tenant_id, now);
        const profile = await loadProfile(trx, account);
        const addresses = await trx
          .selectFrom("deposit_mail_addresses")
          .selectAll()
          .where("tenant_id", "=", account.tenant_id)
          .where("account_id", "=", account.id)
          .orderBy("id")
          .execute();
        return {
          object: "deposit_invoice_candidates" as const,
          profile: profile ? serializeProfile(profile) : null,
          addresses: addresses.map(serializeAddress),
          settled_amount: totals.settled,
          refunded_amount: totals.refunded,
          net_amount: totals.net,
          count: totals.count,
          min_net_amount: settings.invoice_min_net_amount,
          max_count: MAX_INVOICE_ENTRIES,
          allowed:
            profile?.status === "verified" &&
            addresses.length > 0 &&
            totals.count <= MAX_INVOICE_ENTRIES &&
            invoiceNetAllowed(totals.net, settings.invoice_min_net_amount),
          data: entries.slice(0, pageLimit(request.query.limit)).map(serializeEntry),
        };
      }),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/deposit-accounts/:id/invoice-requests",
    config: { permission: "deposits.manage", idempotent: true },
    schema: {
      tags,
      summary: "Request an invoice for all candidates of the filter (net ≥ 100.00 by default)",
      params: AccountParams,
      body: Obj({ address_id: IdParam, ...CandidateQuery }),
      response: { 201: InvoiceRequest, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ params, body }) => ({
      accountId: params.id,
      request: { addressId: body.address_id, filter: filterOf(body) },
    }),
    op: (uow, ctx, input, now) => requestInvoice(uow.trx, ctx, input.accountId, input.request, now),
    respond: serializeRequest,
  });

  app.get(
    "/v1/deposit-accounts/:id/invoice-requests",
    {
      config: { permission: "deposits.read" },
      schema: {
        tags,
        summary: "Invoice requests with their status",
        params: AccountParams,
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(INVOICE_STATUSES)) }),
        response: { 200: listOf(InvoiceRequest), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => {
      const rows = await accountRecordsPage(db, actor, params.id, "deposit_invoice_requests", query);
      return toPage(rows, pageLimit(query.limit), serializeRequest);
    },
  );

  for (const action of INVOICE_ACTIONS) {
    app.post(
      `/v1/deposit-invoice-requests/:id/${action}`,
      {
        config: { permission: "deposits.finance" },
        schema: {
          tags,
          summary: {
            issue: "Platform finance issues the invoice (invoice number)",
            mail: "Platform finance mails the invoice (tracking number)",
            reject: "Platform finance rejects the request (its transactions can be requested again)",
          }[action],
          params: AccountParams,
          body: Obj({
            invoice_number: Type.Optional(Text(64)),
            tracking_number: Type.Optional(Text(64)),
            reason: Type.Optional(Text(500)),
          }),
          response: { 200: InvoiceRequest, ...errorResponses(409, 422) },
        },
      },
      async (request) => {
        const b = request.body;
        const row = await db.tenantTx(request.actor.tenantId, (trx) =>
          decideInvoice(
            trx,
            context(request),
            request.params.id,
            action,
            { invoiceNumber: b.invoice_number, trackingNumber: b.tracking_number, reason: b.reason },
            clock.now(),
          ),
        );
        return serializeRequest(row);
      },
    );
  }
}
