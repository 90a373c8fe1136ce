import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { EXPORT_FORMATS, exportTable } from "../../platform/files/export-table.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { Bill, serializeBill } from "./bill-view.js";
import { deductBill } from "./deduct-bill.js";
import { MAX_EXPORT_ROWS, type VoucherListRow, voucherPageQuery } from "./list-vouchers.js";
import { refundBill } from "./refund-bill.js";
import {
  exportableVouchers,
  readVoucher,
  showBill,
  showVoucher,
  unitBalance,
  usagesOf,
} from "./voucher-views.js";
import { VouchersError } from "./vouchers.errors.js";
import {
  BillBody,
  BillId,
  IdParams,
  Refund,
  RefundBody,
  serializeRefund,
  serializeUsage,
  serializeVoucher,
  USAGE_EXPORT_COLUMNS,
  Usage,
  usageExportRow,
  VOUCHER_EXPORT_COLUMNS,
  Voucher,
  VoucherFilterQuery,
  voucherExportRow,
} from "./vouchers.schemas.js";
import { withdrawVoucher } from "./withdraw-voucher.js";

const FileResponse = Type.Unsafe({ type: "string", format: "binary" });

/** Vouchers with their balance and usage, withdrawal, and the bills vouchers offset. */
export function voucherUsageRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const tags = ["vouchers"];

  app.get(
    "/v1/vouchers",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags,
        summary: "List vouchers with their status and balance",
        description:
          "Staff see the vouchers of customers in their scope; a customer's member token sees its own.",
        querystring: Obj({ ...ListQuery, ...VoucherFilterQuery }),
        response: { 200: listOf(Voucher), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      const { limit: _limit, starting_after, ...filters } = query;
      const limit = pageLimit(query.limit);
      const rows = (await db.tenantQuery(
        actor.tenantId,
        voucherPageQuery(
          db.kysely,
          actor,
          filters,
          { limit: limit + 1, startingAfter: starting_after },
          clock.now(),
        ),
      )) as VoucherListRow[];
      return toPage(rows, limit, serializeVoucher);
    },
  );

  app.get(
    "/v1/vouchers/export",
    {
      config: { permission: "vouchers.read", member: true },
      schema: {
        tags,
        summary: `Export the filtered voucher list as CSV or xlsx (at most ${MAX_EXPORT_ROWS} rows)`,
        querystring: Obj({
          format: StringEnum(EXPORT_FORMATS),
          ...VoucherFilterQuery,
        }),
        response: { 200: FileResponse, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const { format, ...filters } = request.query;
      const rows = await db.tenantTx(actor.tenantId, (trx) =>
        exportableVouchers(trx, actor, filters, clock.now()),
      );
      const file = await exportTable("vouchers", format, VOUCHER_EXPORT_COLUMNS, rows.map(voucherExportRow));
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  app.get(
    "/v1/vouchers/:id",
    {
      config: { permission: "vouchers.read", member: true, errors: ["voucher_not_found"] },
      schema: {
        tags,
        summary: "Get a voucher",
        params: IdParams,
        response: { 200: Voucher, ...errorResponses() },
      },
    },
    async ({ actor, params }) => serializeVoucher(await readVoucher(db, actor, params.id, clock.now())),
  );

  app.get(
    "/v1/vouchers/:id/usages",
    {
      config: { permission: "vouchers.read", member: true, errors: ["voucher_not_found"] },
      schema: {
        tags,
        summary: "A voucher's usage details: each deduction and refund with bill, product, amount and time",
        params: IdParams,
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(Usage), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) => {
      const limit = pageLimit(query.limit);
      const { rows } = await db.tenantTx(actor.tenantId, (trx) =>
        usagesOf(trx, actor, params.id, limit + 1, query.starting_after),
      );
      return toPage(rows, limit, serializeUsage);
    },
  );

  app.get(
    "/v1/vouchers/:id/usages/export",
    {
      config: { permission: "vouchers.read", member: true, errors: ["voucher_not_found"] },
      schema: {
        tags,
        summary: `Download a voucher's usage details as CSV or xlsx (at most ${MAX_EXPORT_ROWS} rows)`,
        params: IdParams,
        querystring: Obj({ format: StringEnum(EXPORT_FORMATS) }),
        response: { 200: FileResponse, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const { voucher, rows } = await db.tenantTx(actor.tenantId, (trx) =>
        usagesOf(trx, actor, request.params.id, MAX_EXPORT_ROWS + 1),
      );
      if (rows.length > MAX_EXPORT_ROWS) {
        throw new VouchersError(
          "limit_exceeded",
          `The voucher has more than ${MAX_EXPORT_ROWS} usage records`,
        );
      }
      const file = await exportTable(
        `voucher-${voucher.id}-usage`,
        request.query.format,
        USAGE_EXPORT_COLUMNS,
        rows.map((r) => usageExportRow(r, voucher.asset)),
      );
      reply.header("content-type", file.contentType);
      reply.header("content-disposition", `attachment; filename="${file.filename}"`);
      return reply.send(file.body);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/vouchers/:id/withdraw",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags,
      summary: "Withdraw a voucher (irreversible); its remaining balance returns to its source",
      description:
        "customer_discount: by the issuing reseller (or its distributor); product_trial: only by the distributor. Only an unexpired voucher with a balance can be withdrawn. A cash coupon allocated from an enterprise coupon is revoked through POST /v1/enterprise-coupons/{id}/revocations instead (enterprise_revocation_required, naming that path).",
      params: IdParams,
      body: Type.Optional(Obj({ reason: Type.Optional(Type.String({ maxLength: 500 })) })),
      response: { 200: Voucher, ...errorResponses(409, 422, 503) },
    },
    status: 200,
    input: ({ params, body }) => ({ voucherId: params.id, reason: body?.reason ?? null }),
    op: async (uow, ctx, input, now) => {
      const { voucher } = await withdrawVoucher(uow, ctx, input, now);
      const row = await showVoucher(uow.trx, ctx.actor, voucher.id, now);
      return { ...row, balance: await unitBalance(uow, row.account_id) };
    },
    respond: serializeVoucher,
  });

  app.post(
    "/v1/voucher-bills",
    {
      config: { permission: "vouchers.bills" },
      schema: {
        tags,
        summary: "Offset a customer's bill with its vouchers (idempotent by bill_id)",
        description:
          "Order: vouchers whose minimum bill amount the bill total reaches, earliest expiry first, then smallest balance, then issue order; each offsets the lines its product scope allows, in line order, partly if its balance runs out. The same bill_id again answers the first result; other content under it is bill_id_reused.",
        body: BillBody,
        response: { 200: Bill, ...errorResponses(409, 422, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const input = {
        billId: body.bill_id,
        customerId: body.customer_id,
        asset: body.asset,
        lines: body.lines,
      };
      const bill = await deps.ledger.run(request.actor.tenantId, (uow) =>
        deductBill(uow, contextOf(request), input, clock.now()),
      );
      return serializeBill(bill);
    },
  );

  app.get(
    "/v1/voucher-bills/:bill_id",
    {
      config: { permission: "vouchers.read" },
      schema: {
        tags,
        summary: "A bill's voucher deductions",
        params: Obj({ bill_id: BillId }),
        response: { 200: Bill, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      serializeBill(await db.tenantTx(actor.tenantId, (trx) => showBill(trx, actor, params.bill_id))),
  );

  app.post(
    "/v1/voucher-bills/:bill_id/refunds",
    {
      config: { permission: "vouchers.bills" },
      schema: {
        tags,
        summary: "Refund a bill in full or in part: the vouchers' share goes back where it came from",
        description:
          "lines gives the refunded bill amount per line (omitted: everything not yet refunded). The vouchers get back their share of each line, rounded down until the line is refunded in full. A voucher that has expired or been withdrawn since gets nothing back: its share goes to the voucher's source (quota or distributor funding), as its remaining balance did. Idempotent by refund_id.",
        params: Obj({ bill_id: BillId }),
        body: RefundBody,
        response: { 200: Refund, ...errorResponses(409, 422, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const input = {
        billId: request.params.bill_id,
        refundId: body.refund_id,
        lines: body.lines ? body.lines.map((l) => ({ lineIndex: l.line_index, amount: l.amount })) : null,
      };
      const refund = await deps.ledger.run(request.actor.tenantId, (uow) =>
        refundBill(uow, contextOf(request), input, clock.now()),
      );
      return serializeRefund(refund);
    },
  );
}
