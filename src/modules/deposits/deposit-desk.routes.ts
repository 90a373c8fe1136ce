import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { tenantPage } from "../../platform/http/pagination.js";
import { errorResponses, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import {
  INVOICE_STATUSES,
  PROFILE_STATUSES,
  TOPUP_STATUSES,
  WITHDRAWAL_STATUSES,
} from "./deposits.repository.js";
import { serializeTopup, Topup } from "./deposits.schemas.js";
import { serializeWithdrawal, Withdrawal } from "./funds.schemas.js";
import { InvoiceRequest, Profile, serializeProfile, serializeRequest } from "./invoicing.schemas.js";

/**
 * The platform finance desk's queues across every merchant: withdrawals to approve, top-up
 * applications to match bank records to, qualifications to verify, invoices to issue and
 * mail. Tenant-wide staff only; oldest first, the order they are worked through.
 */
export async function depositDeskRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db } = deps;
  const tags = ["deposits"];
  const config = { permission: "deposits.finance", tenantWide: true };
  const query = <S extends readonly string[]>(statuses: S) =>
    Obj({ ...ListQuery, status: Type.Optional(StringEnum(statuses)) });

  app.get(
    "/v1/deposit-withdrawals",
    {
      config,
      schema: {
        tags,
        summary: "Withdrawals of every merchant (`status=requested` is the approval queue)",
        querystring: query(WITHDRAWAL_STATUSES),
        response: { 200: listOf(Withdrawal), ...errorResponses() },
      },
    },
    async ({ actor, query: q }) => {
      let rows = db.kysely
        .selectFrom("deposit_withdrawals as w")
        .innerJoin("deposit_accounts as a", (j) =>
          j.onRef("a.tenant_id", "=", "w.tenant_id").onRef("a.id", "=", "w.account_id"),
        )
        .leftJoin("deposit_bank_bindings as b", (j) =>
          j.onRef("b.tenant_id", "=", "a.tenant_id").onRef("b.merchant_id", "=", "a.merchant_id"),
        )
        .selectAll("w")
        .select(["b.company_name", "b.bank_name", "b.branch", "b.account_number", "b.status as bank_status"])
        .where("w.tenant_id", "=", actor.tenantId);
      if (q.status) rows = rows.where("w.status", "=", q.status);
      return tenantPage(
        db,
        actor.tenantId,
        rows,
        q,
        (r) =>
          serializeWithdrawal(
            r,
            r.company_name === null
              ? undefined
              : {
                  company_name: r.company_name,
                  bank_name: r.bank_name!,
                  branch: r.branch!,
                  account_number: r.account_number!,
                  status: r.bank_status!,
                },
          ),
        { by: "w.id" },
      );
    },
  );

  app.get(
    "/v1/deposit-topups",
    {
      config,
      schema: {
        tags,
        summary: "Top-up applications of every merchant (`status=open` can take a bank record by hand)",
        querystring: query(TOPUP_STATUSES),
        response: { 200: listOf(Topup), ...errorResponses() },
      },
    },
    async ({ actor, query: q }) => {
      let rows = db.kysely.selectFrom("deposit_topups").selectAll().where("tenant_id", "=", actor.tenantId);
      if (q.status) rows = rows.where("status", "=", q.status);
      return tenantPage(db, actor.tenantId, rows, q, serializeTopup);
    },
  );

  app.get(
    "/v1/deposit-invoice-profiles",
    {
      config,
      schema: {
        tags,
        summary: "Invoice qualifications of every merchant (`status=verifying` is the review queue)",
        querystring: query(PROFILE_STATUSES),
        response: { 200: listOf(Profile), ...errorResponses() },
      },
    },
    async ({ actor, query: q }) => {
      let rows = db.kysely
        .selectFrom("deposit_invoice_profiles")
        .selectAll()
        .where("tenant_id", "=", actor.tenantId);
      if (q.status) rows = rows.where("status", "=", q.status);
      return tenantPage(db, actor.tenantId, rows, q, serializeProfile, { by: "account_id" });
    },
  );

  app.get(
    "/v1/deposit-invoice-requests",
    {
      config,
      schema: {
        tags,
        summary: "Invoice requests of every merchant (`requested` to issue, `issued` to mail)",
        querystring: query(INVOICE_STATUSES),
        response: { 200: listOf(InvoiceRequest), ...errorResponses() },
      },
    },
    async ({ actor, query: q }) => {
      let rows = db.kysely
        .selectFrom("deposit_invoice_requests")
        .selectAll()
        .where("tenant_id", "=", actor.tenantId);
      if (q.status) rows = rows.where("status", "=", q.status);
      return tenantPage(db, actor.tenantId, rows, q, serializeRequest);
    },
  );
}
