import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { assertMemberAccess } from "../../platform/auth/scope.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
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
import { orgUnitInScope } from "../../platform/org/org-units.js";
import { visibleMemberOf, visibleMemberQueries } from "../members/index.js";
import { issueMemberVoucher } from "./issue-member-voucher.js";
import {
  listMemberVouchers,
  type MemberVoucherListRow,
  memberVoucherRowsOf,
  memberVouchersQuery,
} from "./list-member-vouchers.js";
import { MAX_PRODUCT_CODES } from "./voucher-rules.js";
import { serializeVoucherTerms, VoucherTerms } from "./voucher-view.js";
import { unitBalance } from "./voucher-views.js";
import { VouchersError } from "./vouchers.errors.js";
import { SCOPE_KINDS, VOUCHER_STATUSES } from "./vouchers.repository.js";
import { withdrawMemberVoucher } from "./withdraw-member-voucher.js";

const ProductCode = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });

export const MemberVoucher = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("member_voucher"),
    member_id: Type.String(),
    issuer_id: Type.Union([Type.String(), Type.Null()], {
      description: "The issuing org unit; null: the tenant itself",
    }),
    ...VoucherTerms,
  },
  { $id: "MemberVoucher" },
);

function serializeMemberVoucher(row: MemberVoucherListRow) {
  return {
    id: row.id,
    object: "member_voucher" as const,
    member_id: row.member_id,
    issuer_id: row.issuer_id,
    ...serializeVoucherTerms(row),
  };
}

/** Vouchers held by members: staff issue and withdraw them; staff and the member list them. */
export function memberVoucherRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:member_id/vouchers",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags: ["vouchers"],
      summary: "Issue a voucher to a member, funded by its issuer",
      description:
        "issuer_id defaults to the caller's org unit, or the tenant itself for tenant-wide callers (funded by vfund_<issuer or tenant>_<asset>). A caller bound to an org unit issues only as a unit in its subtree, to members it can see. The member spends it by id at checkout until expires_at.",
      params: Obj({ member_id: IdParam }),
      body: Obj({
        face_value: Money,
        issuer_id: Type.Optional(IdParam),
        starts_at: Type.Optional(Timestamp),
        expires_at: Timestamp,
        scope: Type.Optional(
          Obj({
            kind: StringEnum(SCOPE_KINDS, {
              description: "all products / only the listed (allow) / all but the listed (deny)",
            }),
            product_codes: Type.Optional(
              Type.Array(ProductCode, { maxItems: MAX_PRODUCT_CODES, uniqueItems: true }),
            ),
          }),
        ),
        min_bill_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      }),
      response: { 201: MemberVoucher, ...errorResponses(409, 422, 503) },
    },
    status: 201,
    input: ({ params, body }, { actor }, now) => ({
      memberId: params.member_id,
      issuerId: body.issuer_id ?? actor.orgUnitId,
      amount: body.face_value.amount,
      asset: body.face_value.asset,
      scope: { kind: body.scope?.kind ?? ("all" as const), productCodes: body.scope?.product_codes ?? [] },
      minBillAmount: body.min_bill_amount ?? 0,
      startsAt: body.starts_at ? new Date(body.starts_at) : now,
      expiresAt: new Date(body.expires_at),
    }),
    op: async (uow, ctx, input, now) => {
      if (input.issuerId) await orgUnitInScope(uow.trx, ctx.actor, input.issuerId);
      return issueMemberVoucher(uow, ctx, input, now);
    },
    respond: (row) =>
      serializeMemberVoucher({
        ...row,
        member_id: row.member_id!,
        balance: row.face_amount,
        status: "unused",
      }),
  });

  app.get(
    "/v1/members/:member_id/vouchers",
    {
      config: { permission: "vouchers.read", member: true, errors: ["member_not_found"] },
      schema: {
        tags: ["vouchers"],
        summary: "A member's vouchers with balance and status",
        description: "Staff who can see the member, or the member's own member token.",
        params: Obj({ member_id: IdParam }),
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(VOUCHER_STATUSES)) }),
        response: { 200: listOf(MemberVoucher), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const memberId = request.params.member_id;
      assertMemberAccess(actor, memberId);
      const limit = pageLimit(request.query.limit);
      const [members, unitPaths, vouchers] = await db.tenantQueries(actor.tenantId, [
        ...visibleMemberQueries(db.kysely, actor.tenantId, memberId),
        memberVouchersQuery(
          db.kysely,
          actor.tenantId,
          memberId,
          { status: request.query.status },
          { limit: limit + 1, startingAfter: request.query.starting_after },
          clock.now(),
        ),
      ] as const);
      visibleMemberOf(actor, memberId, members, unitPaths);
      return toPage(memberVoucherRowsOf(vouchers), limit, serializeMemberVoucher);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/member-vouchers/:id/withdraw",
    config: { permission: "vouchers.manage", idempotent: true },
    schema: {
      tags: ["vouchers"],
      summary: "Withdraw a member's voucher (irreversible); its remaining balance returns to its issuer",
      description:
        "By staff whose scope contains the issuing org unit (a tenant-issued voucher: tenant-wide staff only). Only an unexpired voucher with a balance; past redemptions stay.",
      params: Obj({ id: IdParam }),
      body: Type.Optional(Obj({ reason: Type.Optional(Type.String({ maxLength: 500 })) })),
      response: { 200: MemberVoucher, ...errorResponses(409, 422, 503) },
    },
    status: 200,
    input: ({ params, body }) => ({ voucherId: params.id, reason: body?.reason ?? null }),
    op: withdrawMemberVoucher,
    respond: async ({ voucher }, uow, _input, now) => {
      const [row] = await listMemberVouchers(
        uow.trx,
        uow.tenantId,
        voucher.member_id!,
        { id: voucher.id },
        { limit: 1 },
        now,
      );
      if (!row) throw new VouchersError("voucher_not_found", "Voucher not found");
      return serializeMemberVoucher({ ...row, balance: await unitBalance(uow, row.account_id) });
    },
  });
}
