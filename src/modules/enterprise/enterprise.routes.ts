import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { MAX_LIMIT, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj } from "../../platform/http/schemas.js";
import { contextOf, valueRoute } from "../../platform/http/value-route.js";
import { Bill, BillId, serializeBill } from "../vouchers/index.js";
import { allocateCoupon, MAX_ALLOCATIONS_PER_CALL } from "./allocate-coupon.js";
import { grantCoupon } from "./create-coupon.js";
import { memberAccountInScope, memberAccountQuery } from "./enterprise.repository.js";
import {
  Allocation,
  AllocationsBody,
  BillBody,
  Coupon,
  CouponBody,
  CouponRecord,
  CouponRecordQuery,
  HeldCoupon,
  IdParams,
  MAX_BATCH_BODY,
  Member,
  Package,
  PackageBody,
  RefundBody,
  Revocable,
  Revocation,
  RevocationBody,
  SharingBody,
  SharingChange,
  SharingState,
  serializeCoupon,
  serializeMember,
  serializePackage,
  serializeRevocation,
  serializeUsage,
  Usage,
  UsageBody,
} from "./enterprise.schemas.js";
import { enterpriseReadRoutes } from "./enterprise-reads.routes.js";
import {
  heldCoupons,
  listCouponRecords,
  listCoupons,
  listMembers,
  listSharingChanges,
  revocableView,
} from "./enterprise-views.js";
import { payEnterpriseBill, refundEnterpriseBill } from "./pay-enterprise-bill.js";
import { createPackage, recordUsage } from "./resource-packages.js";
import { revokeCoupon } from "./revoke-coupon.js";
import {
  associateMemberById,
  MAX_SHARING_BATCH,
  switchGlobalSharing,
  switchMemberSharing,
  switchMembersSharing,
} from "./sharing.js";

export async function enterpriseRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, ledger } = deps;
  const tags = ["enterprise"];

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprises/:id/members",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags,
      summary: "Associate a member account with its enterprise master",
      description:
        "Sharing starts as the master's global switch says now; later switch changes do not affect it.",
      params: IdParams,
      body: Obj({ member_id: IdParam }),
      response: { 201: Member, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: ({ params, body }) => ({ enterpriseId: params.id, memberId: body.member_id }),
    op: ({ trx }, ctx, input, now) => associateMemberById(trx, ctx, input, now),
    respond: serializeMember,
  });

  app.get(
    "/v1/enterprises/:id/members",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "The master's member accounts and their sharing state",
        params: IdParams,
        querystring: Obj({ ...ListQuery, sharing_enabled: Type.Optional(Type.Boolean()) }),
        response: { 200: listOf(Member), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listMembers(trx, actor, params.id, query)),
  );

  app.post(
    "/v1/enterprises/:id/sharing",
    {
      config: { permission: "enterprise.manage" },
      schema: {
        tags,
        summary: "The master's global switch 'enable benefits sharing'",
        description:
          "On: members associated from now on share the master's resource packages. Off: members associated from now on do not. Members associated before keep their state either way.",
        params: IdParams,
        body: SharingBody,
        response: { 200: SharingState, ...errorResponses() },
      },
    },
    async (request) => {
      const input = { enterpriseId: request.params.id, enabled: request.body.enabled };
      await db.tenantTx(request.actor.tenantId, (trx) =>
        switchGlobalSharing(trx, contextOf(request), input, clock.now()),
      );
      return {
        object: "enterprise_sharing" as const,
        enterprise_id: input.enterpriseId,
        enabled: input.enabled,
      };
    },
  );

  app.post(
    "/v1/enterprises/:id/members/sharing",
    {
      config: { permission: "enterprise.manage" },
      schema: {
        tags,
        summary: `Batch enable or disable sharing for up to ${MAX_SHARING_BATCH} member accounts`,
        description: `More than ${MAX_SHARING_BATCH} ids: 400 limit_exceeded; repeat the operation in batches of ${MAX_SHARING_BATCH}.`,
        params: IdParams,
        body: Obj({
          member_ids: Type.Array(IdParam, { minItems: 1, maxItems: MAX_BATCH_BODY }),
          enabled: Type.Boolean(),
        }),
        response: { 200: listOf(Member), ...errorResponses(422) },
      },
    },
    async (request) => {
      const input = {
        enterpriseId: request.params.id,
        memberIds: request.body.member_ids,
        enabled: request.body.enabled,
      };
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        switchMembersSharing(trx, contextOf(request), input, clock.now()),
      );
      return toPage(rows, MAX_LIMIT, serializeMember);
    },
  );

  app.get(
    "/v1/enterprise-members/:id",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "A member account's association and sharing state",
        params: IdParams,
        response: { 200: Member, ...errorResponses(422) },
      },
    },
    async ({ actor, params }) => {
      const [row] = await db.tenantQuery(
        actor.tenantId,
        memberAccountQuery(db.kysely, actor.tenantId, params.id),
      );
      return serializeMember(memberAccountInScope(actor, row));
    },
  );

  app.post(
    "/v1/enterprise-members/:id/sharing",
    {
      config: { permission: "enterprise.manage" },
      schema: {
        tags,
        summary: "Enable or disable sharing for one member account",
        params: IdParams,
        body: SharingBody,
        response: { 200: Member, ...errorResponses(422) },
      },
    },
    async (request) => {
      const input = { memberId: request.params.id, enabled: request.body.enabled };
      return serializeMember(
        await db.tenantTx(request.actor.tenantId, (trx) =>
          switchMemberSharing(trx, contextOf(request), input, clock.now()),
        ),
      );
    },
  );

  app.get(
    "/v1/enterprise-members/:id/sharing-changes",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "Every sharing change of a member account, oldest first",
        params: IdParams,
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(SharingChange), ...errorResponses(422) },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listSharingChanges(trx, actor, params.id, query)),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprises/:id/coupons",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags,
      summary: "Grant the master a cash coupon",
      params: IdParams,
      body: CouponBody,
      response: { 201: Coupon, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ params, body }, _ctx, now) => ({
      enterpriseId: params.id,
      amount: body.amount.amount,
      asset: body.amount.asset,
      allocationMode: body.allocation_mode,
      scope: { kind: body.scope.kind, productCodes: body.scope.product_codes ?? [] },
      minBillAmount: body.min_bill_amount ?? 0,
      startsAt: body.starts_at ? new Date(body.starts_at) : now,
      expiresAt: new Date(body.expires_at),
    }),
    op: grantCoupon,
    respond: serializeCoupon,
  });

  app.get(
    "/v1/enterprises/:id/coupons",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "The master's cash coupons with their unallocated balance",
        params: IdParams,
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(Coupon), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listCoupons(trx, actor, params.id, query, clock.now())),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprise-coupons/:id/allocations",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags,
      summary: `Allocate a coupon to up to ${MAX_ALLOCATIONS_PER_CALL} member accounts (all or none)`,
      params: IdParams,
      body: AllocationsBody,
      response: { 201: listOf(Allocation), ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ params, body }) => ({
      couponId: params.id,
      allocations: body.allocations.map((a) => ({ memberId: a.member_id, amount: a.amount })),
    }),
    op: (uow, ctx, input, now) => allocateCoupon(uow, ctx, input.couponId, input.allocations, now),
    respond: (results) => ({
      object: "list" as const,
      data: results.map((r) => ({ member_id: r.memberId, voucher_id: r.voucherId, amount: r.amount })),
      has_more: false,
    }),
  });

  app.get(
    "/v1/enterprise-coupons/:id/revocable",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary:
          "What revoking a member's allocations of this coupon would give back (confirm before revoking)",
        params: IdParams,
        querystring: Obj({ member_id: IdParam }),
        response: { 200: Revocable, ...errorResponses(422) },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) =>
        revocableView(trx, actor, params.id, query.member_id, clock.now()),
      ),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprise-coupons/:id/revocations",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags,
      summary: "Revoke a member's allocated coupons: remaining balances return to the master's coupon",
      params: IdParams,
      body: RevocationBody,
      response: { 200: Revocation, ...errorResponses(409, 422) },
    },
    status: 200,
    input: ({ params, body }) => ({
      couponId: params.id,
      memberId: body.member_id,
      voucherIds: body.voucher_ids ?? null,
    }),
    op: revokeCoupon,
    respond: serializeRevocation,
  });

  app.get(
    "/v1/enterprises/:id/coupon-records",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "Allocation and revocation history of all the master's coupons (or one, or one member's)",
        params: IdParams,
        querystring: CouponRecordQuery,
        response: { 200: listOf(CouponRecord), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => listCouponRecords(trx, actor, params.id, query)),
  );

  app.get(
    "/v1/enterprise-members/:id/coupons",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags,
        summary: "All cash coupons allocated to a member account, with balances",
        params: IdParams,
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(HeldCoupon), ...errorResponses(422) },
      },
    },
    async ({ actor, params, query }) =>
      db.tenantTx(actor.tenantId, (trx) => heldCoupons(trx, actor, params.id, query, clock.now())),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/resource-packages",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags,
      summary: "Grant a resource package to a master or member account",
      body: PackageBody,
      response: { 201: Package, ...errorResponses(422) },
    },
    status: 201,
    input: ({ body }, _ctx, now) => ({
      ownerId: body.owner_id,
      productCode: body.product_code,
      unit: body.unit,
      quantity: body.quantity,
      startsAt: body.starts_at ? new Date(body.starts_at) : now,
      expiresAt: new Date(body.expires_at),
    }),
    op: createPackage,
    respond: serializePackage,
  });

  app.post(
    "/v1/resource-usages",
    {
      config: { permission: "enterprise.usage" },
      schema: {
        tags,
        summary:
          "Report usage: covered by own packages, then the master's if sharing is on; the rest is billable",
        description: "Idempotent by usage_id (other content under the same id: usage_id_reused).",
        body: UsageBody,
        response: { 200: Usage, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const b = request.body;
      const now = clock.now();
      const input = {
        usageId: b.usage_id,
        accountId: b.account_id,
        productCode: b.product_code,
        unit: b.unit,
        quantity: b.quantity,
        usedAt: b.used_at ? new Date(b.used_at) : null,
      };
      return serializeUsage(
        await ledger.run(request.actor.tenantId, (uow) => recordUsage(uow, contextOf(request), input, now)),
      );
    },
  );

  app.post(
    "/v1/enterprises/:id/bills",
    {
      config: { permission: "enterprise.usage" },
      schema: {
        tags,
        summary: "Pay a member account's bill from its coupons, then the master's shared coupons",
        description:
          "Order: usage is covered by resource packages when reported (POST /v1/resource-usages), so bill lines are what packages did not cover; then the member's own allocated coupons (earliest expiry first), then the unallocated balance of the master's coupons, each honouring applicable products, minimum and validity; the rest is payable. Idempotent by bill_id; refunds return value where it came from.",
        params: IdParams,
        body: BillBody,
        response: { 200: Bill, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const b = request.body;
      const input = {
        enterpriseId: request.params.id,
        memberId: b.member_id,
        billId: b.bill_id,
        asset: b.asset,
        lines: b.lines,
      };
      const bill = await ledger.run(request.actor.tenantId, (uow) =>
        payEnterpriseBill(uow, contextOf(request), input, clock.now()),
      );
      return serializeBill(bill);
    },
  );

  app.post(
    "/v1/enterprises/:id/bills/:bill_id/refunds",
    {
      config: { permission: "enterprise.usage" },
      schema: {
        tags,
        summary: "Refund a member's bill: coupon value returns to the coupons it came from",
        params: Obj({ id: IdParam, bill_id: BillId }),
        body: RefundBody,
        response: {
          200: Type.Object({
            object: Type.Literal("enterprise_bill_refund"),
            bill_id: Type.String(),
            returned_amount: Type.Integer(),
          }),
          ...errorResponses(409, 422),
        },
      },
    },
    async (request) => {
      const input = {
        enterpriseId: request.params.id,
        billId: request.params.bill_id,
        refundId: request.body.refund_id,
        lines: request.body.lines?.map((l) => ({ lineIndex: l.line_index, amount: l.amount })) ?? null,
      };
      const refund = await ledger.run(request.actor.tenantId, (uow) =>
        refundEnterpriseBill(uow, contextOf(request), input, clock.now()),
      );
      return {
        object: "enterprise_bill_refund" as const,
        bill_id: refund.billId,
        returned_amount: refund.returnedAmount,
      };
    },
  );

  enterpriseReadRoutes(app, deps);
}
