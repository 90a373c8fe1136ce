import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Actor } from "../../platform/auth/actor.js";
import { MAX_LIMIT, pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  AssetCode,
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Money,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import {
  Bill,
  deductBill,
  refundBill,
  serializeBill,
  type VoucherListRow,
  vouchersHeldBy,
} from "../vouchers/index.js";
import { allocateCoupon, MAX_ALLOCATIONS_PER_CALL } from "./allocate-coupon.js";
import { type CouponView, loadCoupon } from "./coupon-queries.js";
import { createCoupon } from "./create-coupon.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";
import { findUnit, loadEnterprise, loadMember, type MemberRow } from "./enterprise.repository.js";
import { createPackage, recordUsage } from "./resource-packages.js";
import { revocable, revokeCoupon } from "./revoke-coupon.js";
import { associateMember, MAX_SHARING_BATCH, setGlobalSharing, setMembersSharing } from "./sharing.js";

/** The batch endpoint accepts this many ids in the body so it can answer past 100 with a clear message. */
const MAX_BATCH_BODY = 1000;
const ProductCode = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });

const Member = Type.Object(
  {
    object: Type.Literal("enterprise_member"),
    member_id: Type.String(),
    enterprise_id: Type.String(),
    sharing_enabled: Type.Boolean(),
    associated_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "EnterpriseMember" },
);
const serializeMember = (row: MemberRow) => ({
  object: "enterprise_member" as const,
  member_id: row.member_id,
  enterprise_id: row.enterprise_id,
  sharing_enabled: row.sharing_enabled,
  associated_at: row.associated_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

const SharingChange = Type.Object({
  id: Type.String(),
  object: Type.Literal("sharing_change"),
  member_id: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  via: StringEnum(["global", "association", "member", "batch"] as const),
  actor_type: Type.String(),
  actor_id: Type.String(),
  created_at: Timestamp,
});

const Scope = Obj({
  kind: StringEnum(["all", "allow", "deny"] as const, { description: "applicable products" }),
  product_codes: Type.Optional(Type.Array(ProductCode, { maxItems: 200, uniqueItems: true })),
});

const Coupon = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("enterprise_coupon"),
    enterprise_id: Type.String(),
    allocation_mode: StringEnum(["once", "multiple"] as const),
    allocation_count: Type.Integer(),
    face_value: Type.Object({ amount: Type.Integer(), asset: Type.String() }),
    balance: Type.Integer({ description: "Unallocated balance: the shared pool all members may use" }),
    status: Type.String(),
    scope: Type.Object({ kind: Type.String(), product_codes: Type.Array(Type.String()) }),
    starts_at: Timestamp,
    expires_at: Timestamp,
  },
  { $id: "EnterpriseCoupon" },
);
const serializeCoupon = (c: CouponView) => ({
  id: c.id,
  object: "enterprise_coupon" as const,
  enterprise_id: c.enterprise_id,
  allocation_mode: c.allocation_mode,
  allocation_count: c.allocation_count,
  face_value: { amount: c.face_amount, asset: c.asset },
  balance: Number(c.balance),
  status: c.status,
  scope: { kind: c.scope_kind, product_codes: c.product_codes },
  starts_at: c.starts_at.toISOString(),
  expires_at: c.expires_at.toISOString(),
});

const HeldCoupon = Type.Object({
  voucher_id: Type.String(),
  coupon_id: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  face_amount: Type.Integer(),
  balance: Type.Integer(),
  asset: Type.String(),
  expires_at: Timestamp,
});
const serializeHeld = (v: VoucherListRow) => ({
  voucher_id: v.id,
  coupon_id: v.source_account_id?.startsWith("vacct_") ? v.source_account_id.slice("vacct_".length) : null,
  status: v.status,
  face_amount: v.face_amount,
  balance: Number(v.balance),
  asset: v.asset,
  expires_at: v.expires_at.toISOString(),
});

const CouponRecord = Type.Object({
  id: Type.String(),
  object: Type.Literal("coupon_record"),
  coupon_id: Type.String(),
  member_id: Type.String(),
  voucher_id: Type.String(),
  kind: StringEnum(["allocation", "revocation"] as const),
  amount: Type.Integer(),
  actor_type: Type.String(),
  actor_id: Type.String(),
  created_at: Timestamp,
});

const Usage = Type.Object({
  object: Type.Literal("resource_usage"),
  usage_id: Type.String(),
  account_id: Type.String(),
  product_code: Type.String(),
  unit: Type.String(),
  quantity: Type.Integer(),
  covered_quantity: Type.Integer(),
  billable_quantity: Type.Integer({
    description: "Not covered by any package: to be billed (may be in arrears)",
  }),
  draws: Type.Array(
    Type.Object({ package_id: Type.String(), quantity: Type.Integer(), shared: Type.Boolean() }),
  ),
});

const Package = Type.Object({
  id: Type.String(),
  object: Type.Literal("resource_package"),
  owner_id: Type.String(),
  product_code: Type.String(),
  unit: Type.String(),
  total_quantity: Type.Integer(),
  starts_at: Timestamp,
  expires_at: Timestamp,
});

export async function enterpriseRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, ledger } = deps;
  const ctx = (request: { actor: Actor; id: string }) => ({ actor: request.actor, requestId: request.id });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprises/:id/members",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags: ["enterprise"],
      summary: "Associate a member account with its enterprise master",
      description:
        "Sharing starts as the master's global switch says now; later switch changes do not affect it.",
      params: Obj({ id: IdParam }),
      body: Obj({ member_id: IdParam }),
      response: { 201: Member, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    input: (request) => request,
    op: async ({ trx }, _ctx, request) => {
      const enterprise = await loadEnterprise(trx, request.actor, request.params.id);
      const member = await findUnit(trx, request.actor, request.body.member_id, "org_unit");
      const row = await associateMember(trx, ctx(request), enterprise, member, clock.now());
      return serializeMember(row);
    },
    respond: (body) => body,
  });

  app.get(
    "/v1/enterprises/:id/members",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary: "The master's member accounts and their sharing state",
        params: Obj({ id: IdParam }),
        querystring: Obj({ ...ListQuery, sharing_enabled: Type.Optional(Type.Boolean()) }),
        response: { 200: listOf(Member), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        await loadEnterprise(trx, actor, request.params.id);
        let query = trx
          .selectFrom("enterprise_members")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("enterprise_id", "=", request.params.id)
          .orderBy("member_id")
          .limit(limit + 1);
        if (request.query.starting_after) query = query.where("member_id", ">", request.query.starting_after);
        if (request.query.sharing_enabled !== undefined)
          query = query.where("sharing_enabled", "=", request.query.sharing_enabled);
        return query.execute();
      });
      return toPage(rows, limit, serializeMember);
    },
  );

  app.post(
    "/v1/enterprises/:id/sharing",
    {
      config: { permission: "enterprise.manage" },
      schema: {
        tags: ["enterprise"],
        summary: "The master's global switch 'enable benefits sharing'",
        description:
          "On: members associated from now on share the master's resource packages. Off: members associated from now on do not. Members associated before keep their state either way.",
        params: Obj({ id: IdParam }),
        body: Obj({ enabled: Type.Boolean() }),
        response: {
          200: Obj({
            object: Type.Literal("enterprise_sharing"),
            enterprise_id: Type.String(),
            enabled: Type.Boolean(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      await db.tenantTx(request.actor.tenantId, async (trx) => {
        const enterprise = await loadEnterprise(trx, request.actor, request.params.id);
        await setGlobalSharing(trx, ctx(request), enterprise, request.body.enabled, clock.now());
      });
      return {
        object: "enterprise_sharing" as const,
        enterprise_id: request.params.id,
        enabled: request.body.enabled,
      };
    },
  );

  app.post(
    "/v1/enterprises/:id/members/sharing",
    {
      config: { permission: "enterprise.manage" },
      schema: {
        tags: ["enterprise"],
        summary: `Batch enable or disable sharing for up to ${MAX_SHARING_BATCH} member accounts`,
        description: `More than ${MAX_SHARING_BATCH} ids: 400 limit_exceeded; repeat the operation in batches of ${MAX_SHARING_BATCH}.`,
        params: Obj({ id: IdParam }),
        body: Obj({
          member_ids: Type.Array(IdParam, { minItems: 1, maxItems: MAX_BATCH_BODY }),
          enabled: Type.Boolean(),
        }),
        response: { 200: listOf(Member), ...errorResponses(422) },
      },
    },
    async (request) => {
      const rows = await db.tenantTx(request.actor.tenantId, async (trx) => {
        const enterprise = await loadEnterprise(trx, request.actor, request.params.id);
        return setMembersSharing(
          trx,
          ctx(request),
          enterprise.id,
          request.body.member_ids,
          request.body.enabled,
          "batch",
          clock.now(),
        );
      });
      return toPage(rows, MAX_LIMIT, serializeMember);
    },
  );

  app.get(
    "/v1/enterprise-members/:id",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary: "A member account's association and sharing state",
        params: Obj({ id: IdParam }),
        response: { 200: Member, ...errorResponses(422) },
      },
    },
    async (request) =>
      serializeMember(
        await db.tenantTx(request.actor.tenantId, (trx) => loadMember(trx, request.actor, request.params.id)),
      ),
  );

  app.post(
    "/v1/enterprise-members/:id/sharing",
    {
      config: { permission: "enterprise.manage" },
      schema: {
        tags: ["enterprise"],
        summary: "Enable or disable sharing for one member account",
        params: Obj({ id: IdParam }),
        body: Obj({ enabled: Type.Boolean() }),
        response: { 200: Member, ...errorResponses(422) },
      },
    },
    async (request) => {
      const row = await db.tenantTx(request.actor.tenantId, async (trx) => {
        const member = await loadMember(trx, request.actor, request.params.id);
        // Only the master (or staff above it) switches sharing, never the member itself.
        await loadEnterprise(trx, request.actor, member.enterprise_id);
        const [updated] = await setMembersSharing(
          trx,
          ctx(request),
          member.enterprise_id,
          [member.member_id],
          request.body.enabled,
          "member",
          clock.now(),
        );
        return updated!;
      });
      return serializeMember(row);
    },
  );

  app.get(
    "/v1/enterprise-members/:id/sharing-changes",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary: "Every sharing change of a member account, oldest first",
        params: Obj({ id: IdParam }),
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(SharingChange), ...errorResponses(422) },
      },
    },
    async (request) => {
      const { actor } = request;
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        const member = await loadMember(trx, actor, request.params.id);
        let query = trx
          .selectFrom("enterprise_sharing_changes")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("member_id", "=", member.member_id)
          .orderBy("id")
          .limit(limit + 1);
        if (request.query.starting_after) query = query.where("id", ">", request.query.starting_after);
        return query.execute();
      });
      return toPage(rows, limit, (r) => ({
        id: r.id,
        object: "sharing_change" as const,
        member_id: r.member_id,
        enabled: r.enabled,
        via: r.via,
        actor_type: r.actor_type,
        actor_id: r.actor_id,
        created_at: r.created_at.toISOString(),
      }));
    },
  );

  app.post(
    "/v1/enterprises/:id/coupons",
    {
      config: { permission: "enterprise.manage", idempotent: true },
      schema: {
        tags: ["enterprise"],
        summary: "Grant the master a cash coupon",
        params: Obj({ id: IdParam }),
        body: Obj({
          amount: Money,
          allocation_mode: StringEnum(["once", "multiple"] as const),
          scope: Scope,
          min_bill_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
          starts_at: Type.Optional(Timestamp),
          expires_at: Timestamp,
        }),
        response: { 201: Coupon, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { actor } = request;
      const result = await runIdempotent(request, reply, deps, async (record) =>
        ledger.run(actor.tenantId, async (uow) => {
          const enterprise = await loadEnterprise(uow.trx, actor, request.params.id);
          const voucher = await createCoupon(
            uow,
            ctx(request),
            enterprise,
            {
              amount: body.amount.amount,
              asset: body.amount.asset,
              allocationMode: body.allocation_mode,
              scope: { kind: body.scope.kind, productCodes: body.scope.product_codes ?? [] },
              minBillAmount: body.min_bill_amount ?? 0,
              startsAt: body.starts_at ? new Date(body.starts_at) : clock.now(),
              expiresAt: new Date(body.expires_at),
            },
            clock.now(),
          );
          return record(uow, 201, { id: voucher.id });
        }),
      );
      const coupon = await db.tenantTx(actor.tenantId, (trx) =>
        loadCoupon(trx, actor, result.id, clock.now()),
      );
      return serializeCoupon(coupon);
    },
  );

  app.get(
    "/v1/enterprises/:id/coupons",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary: "The master's cash coupons with their unallocated balance",
        params: Obj({ id: IdParam }),
        response: { 200: listOf(Coupon), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const coupons = await db.tenantTx(actor.tenantId, async (trx) => {
        await loadEnterprise(trx, actor, request.params.id);
        const rows = await trx
          .selectFrom("enterprise_coupons")
          .select("id")
          .where("tenant_id", "=", actor.tenantId)
          .where("enterprise_id", "=", request.params.id)
          .orderBy("id")
          .limit(MAX_LIMIT + 1)
          .execute();
        return Promise.all(rows.map((r) => loadCoupon(trx, actor, r.id, clock.now())));
      });
      return toPage(coupons, MAX_LIMIT, serializeCoupon);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprise-coupons/:id/allocations",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags: ["enterprise"],
      summary: `Allocate a coupon to up to ${MAX_ALLOCATIONS_PER_CALL} member accounts (all or none)`,
      params: Obj({ id: IdParam }),
      body: Obj({
        allocations: Type.Array(
          Obj({
            member_id: IdParam,
            amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
          }),
          { minItems: 1, maxItems: MAX_ALLOCATIONS_PER_CALL },
        ),
      }),
      response: {
        201: listOf(
          Type.Object({ member_id: Type.String(), voucher_id: Type.String(), amount: Type.Integer() }),
        ),
        ...errorResponses(409, 422),
      },
    },
    status: 201,
    input: (request) => request,
    op: async (uow, _ctx, request) => {
      const results = await allocateCoupon(
        uow,
        ctx(request),
        request.params.id,
        request.body.allocations.map((a) => ({ memberId: a.member_id, amount: a.amount })),
        clock.now(),
      );
      return {
        object: "list" as const,
        data: results.map((r) => ({ member_id: r.memberId, voucher_id: r.voucherId, amount: r.amount })),
        has_more: false,
      };
    },
    respond: (body) => body,
  });

  const Revocable = Type.Object({
    object: Type.Literal("coupon_revocable"),
    coupon_id: Type.String(),
    member_id: Type.String(),
    recoverable_amount: Type.Integer(),
    vouchers: Type.Array(
      Type.Object({
        voucher_id: Type.String(),
        status: Type.String(),
        face_amount: Type.Integer(),
        recoverable: Type.Integer(),
      }),
    ),
  });

  app.get(
    "/v1/enterprise-coupons/:id/revocable",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary:
          "What revoking a member's allocations of this coupon would give back (confirm before revoking)",
        params: Obj({ id: IdParam }),
        querystring: Obj({ member_id: IdParam }),
        response: { 200: Revocable, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const { vouchers } = await db.tenantTx(actor.tenantId, (trx) =>
        revocable(trx, actor, request.params.id, request.query.member_id, clock.now()),
      );
      return {
        object: "coupon_revocable" as const,
        coupon_id: request.params.id,
        member_id: request.query.member_id,
        recoverable_amount: vouchers.reduce((s, v) => s + v.recoverable, 0),
        vouchers: vouchers.map((v) => ({
          voucher_id: v.voucherId,
          status: v.status,
          face_amount: v.faceAmount,
          recoverable: v.recoverable,
        })),
      };
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/enterprise-coupons/:id/revocations",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags: ["enterprise"],
      summary: "Revoke a member's allocated coupons: remaining balances return to the master's coupon",
      params: Obj({ id: IdParam }),
      body: Obj({
        member_id: IdParam,
        voucher_ids: Type.Optional(Type.Array(IdParam, { minItems: 1, maxItems: 100, uniqueItems: true })),
      }),
      response: {
        200: Type.Object({
          object: Type.Literal("coupon_revocation"),
          coupon_id: Type.String(),
          member_id: Type.String(),
          revoked_amount: Type.Integer(),
          revoked: Type.Array(Type.Object({ voucher_id: Type.String(), amount: Type.Integer() })),
        }),
        ...errorResponses(409, 422),
      },
    },
    status: 200,
    input: (request) => request,
    op: async (uow, _ctx, request) => {
      const result = await revokeCoupon(
        uow,
        ctx(request),
        {
          couponId: request.params.id,
          memberId: request.body.member_id,
          voucherIds: request.body.voucher_ids ?? null,
        },
        clock.now(),
      );
      return {
        object: "coupon_revocation" as const,
        coupon_id: result.couponId,
        member_id: result.memberId,
        revoked_amount: result.revoked.reduce((s, r) => s + r.amount, 0),
        revoked: result.revoked.map((r) => ({ voucher_id: r.voucherId, amount: r.amount })),
      };
    },
    respond: (body) => body,
  });

  app.get(
    "/v1/enterprises/:id/coupon-records",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary: "Allocation and revocation history of all the master's coupons (or one, or one member's)",
        params: Obj({ id: IdParam }),
        querystring: Obj({
          ...ListQuery,
          coupon_id: Type.Optional(IdParam),
          member_id: Type.Optional(IdParam),
        }),
        response: { 200: listOf(CouponRecord), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        await loadEnterprise(trx, actor, request.params.id);
        let query = trx
          .selectFrom("enterprise_coupon_records")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("enterprise_id", "=", request.params.id)
          .orderBy("id")
          .limit(limit + 1);
        if (q.starting_after) query = query.where("id", ">", q.starting_after);
        if (q.coupon_id) query = query.where("coupon_id", "=", q.coupon_id);
        if (q.member_id) query = query.where("member_id", "=", q.member_id);
        return query.execute();
      });
      return toPage(rows, limit, (r) => ({
        id: r.id,
        object: "coupon_record" as const,
        coupon_id: r.coupon_id,
        member_id: r.member_id,
        voucher_id: r.voucher_id,
        kind: r.kind,
        amount: r.amount,
        actor_type: r.actor_type,
        actor_id: r.actor_id,
        created_at: r.created_at.toISOString(),
      }));
    },
  );

  app.get(
    "/v1/enterprise-members/:id/coupons",
    {
      config: { permission: "enterprise.read" },
      schema: {
        tags: ["enterprise"],
        summary: "All cash coupons allocated to a member account, with balances",
        params: Obj({ id: IdParam }),
        response: { 200: listOf(HeldCoupon), ...errorResponses(422) },
      },
    },
    async (request) => {
      const { actor } = request;
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        const member = await loadMember(trx, actor, request.params.id);
        return vouchersHeldBy(trx, actor.tenantId, member.member_id, { purpose: "cash_coupon" }, clock.now());
      });
      return { object: "list" as const, data: rows.map(serializeHeld), has_more: false };
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/resource-packages",
    config: { permission: "enterprise.manage", idempotent: true },
    schema: {
      tags: ["enterprise"],
      summary: "Grant a resource package to a master or member account",
      body: Obj({
        owner_id: IdParam,
        product_code: ProductCode,
        unit: AssetCode,
        quantity: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
        starts_at: Type.Optional(Timestamp),
        expires_at: Timestamp,
      }),
      response: { 201: Package, ...errorResponses(422) },
    },
    status: 201,
    input: (request) => request,
    op: async (uow, _ctx, request) => {
      const b = request.body;
      const row = await createPackage(
        uow,
        ctx(request),
        {
          ownerId: b.owner_id,
          productCode: b.product_code,
          unit: b.unit,
          quantity: b.quantity,
          startsAt: b.starts_at ? new Date(b.starts_at) : clock.now(),
          expiresAt: new Date(b.expires_at),
        },
        clock.now(),
      );
      return {
        id: row.id,
        object: "resource_package" as const,
        owner_id: row.owner_id,
        product_code: row.product_code,
        unit: row.unit,
        total_quantity: row.total_quantity,
        starts_at: row.starts_at.toISOString(),
        expires_at: row.expires_at.toISOString(),
      };
    },
    respond: (body) => body,
  });

  app.post(
    "/v1/resource-usages",
    {
      config: { permission: "enterprise.usage" },
      schema: {
        tags: ["enterprise"],
        summary:
          "Report usage: covered by own packages, then the master's if sharing is on; the rest is billable",
        description: "Idempotent by usage_id (other content under the same id: usage_id_reused).",
        body: Obj({
          usage_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
          account_id: IdParam,
          product_code: ProductCode,
          unit: AssetCode,
          quantity: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
          used_at: Type.Optional(Timestamp),
        }),
        response: { 200: Usage, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const b = request.body;
      const result = await ledger.run(request.actor.tenantId, (uow) =>
        recordUsage(
          uow,
          ctx(request),
          {
            usageId: b.usage_id,
            accountId: b.account_id,
            productCode: b.product_code,
            unit: b.unit,
            quantity: b.quantity,
            usedAt: b.used_at ? new Date(b.used_at) : clock.now(),
          },
          clock.now(),
        ),
      );
      return {
        object: "resource_usage" as const,
        usage_id: result.usageId,
        account_id: result.accountId,
        product_code: result.productCode,
        unit: result.unit,
        quantity: result.quantity,
        covered_quantity: result.coveredQuantity,
        billable_quantity: result.billableQuantity,
        draws: result.draws,
      };
    },
  );

  app.post(
    "/v1/enterprises/:id/bills",
    {
      config: { permission: "enterprise.usage" },
      schema: {
        tags: ["enterprise"],
        summary: "Pay a member account's bill from its coupons, then the master's shared coupons",
        description:
          "Order: usage is covered by resource packages when reported (POST /v1/resource-usages), so bill lines are what packages did not cover; then the member's own allocated coupons (earliest expiry first), then the unallocated balance of the master's coupons, each honouring applicable products, minimum and validity; the rest is payable. Idempotent by bill_id; refunds return value where it came from.",
        params: Obj({ id: IdParam }),
        body: Obj({
          bill_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
          member_id: IdParam,
          asset: AssetCode,
          lines: Type.Array(
            Obj({ product_code: ProductCode, amount: Type.Integer({ minimum: 1, maximum: 1e13 }) }),
            {
              minItems: 1,
              maxItems: 200,
            },
          ),
        }),
        response: { 200: Bill, ...errorResponses(409, 422) },
      },
    },
    async (request) => {
      const { actor } = request;
      const b = request.body;
      const bill = await ledger.run(actor.tenantId, async (uow) => {
        const enterprise = await loadEnterprise(uow.trx, actor, request.params.id);
        const member = await loadMember(uow.trx, actor, b.member_id);
        if (member.enterprise_id !== enterprise.id) {
          throw new EnterpriseError(
            "member_not_associated",
            "The member account is not associated with this enterprise",
          );
        }
        const result = await deductBill(
          uow,
          ctx(request),
          {
            customerId: member.member_id,
            billId: b.bill_id,
            asset: b.asset,
            lines: b.lines,
            sharedHolderIds: [enterprise.id],
          },
          clock.now(),
        );
        await emitEnterpriseEvent(
          uow,
          actor.tenantId,
          "enterprise.bill_paid",
          {
            enterprise_id: enterprise.id,
            member_id: member.member_id,
            bill_id: b.bill_id,
            total_amount: result.totalAmount,
            deducted_amount: result.deductedAmount,
            payable_amount: result.totalAmount - result.deductedAmount,
          },
          clock.now(),
        );
        return result;
      });
      return serializeBill(bill);
    },
  );

  app.post(
    "/v1/enterprises/:id/bills/:bill_id/refunds",
    {
      config: { permission: "enterprise.usage" },
      schema: {
        tags: ["enterprise"],
        summary: "Refund a member's bill: coupon value returns to the coupons it came from",
        params: Obj({ id: IdParam, bill_id: IdParam }),
        body: Obj({
          refund_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
          lines: Type.Optional(
            Type.Array(
              Obj({
                line_index: Type.Integer({ minimum: 0 }),
                amount: Type.Integer({ minimum: 1, maximum: 1e13 }),
              }),
              {
                minItems: 1,
                maxItems: 200,
              },
            ),
          ),
        }),
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
      const { actor } = request;
      const refund = await ledger.run(actor.tenantId, async (uow) => {
        await loadEnterprise(uow.trx, actor, request.params.id);
        return refundBill(
          uow,
          ctx(request),
          {
            billId: request.params.bill_id,
            refundId: request.body.refund_id,
            lines: request.body.lines?.map((l) => ({ lineIndex: l.line_index, amount: l.amount })) ?? null,
          },
          clock.now(),
        );
      });
      return {
        object: "enterprise_bill_refund" as const,
        bill_id: refund.billId,
        returned_amount: refund.returnedAmount,
      };
    },
  );
}
