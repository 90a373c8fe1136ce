import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { issueMemberVoucher, validityWindow } from "../vouchers/index.js";
import { CatalogError } from "./catalog.errors.js";
import { findTemplate, type GiftGrantRow, type GiftGrantStatus } from "./catalog.repository.js";
import { type GiftSpec, giftLines, MAX_VOUCHERS_PER_GRANT } from "./gift-spec.js";
import { takeGiftStock } from "./gift-stock.js";

type Window = ReturnType<typeof validityWindow>;

export interface GrantGiftInput {
  memberId: string;
  spec: GiftSpec;
  /**
   * What the gift is for (`package_order:<id>:first_purchase_gift`): one grant per
   * reference — a second call with it returns the first grant and gives nothing.
   */
  sourceRef: string;
  /** The stock counter the gift draws on (configureGiftStock); absent: unlimited. */
  stockKey?: string | null;
  /** The tenant's zone: template validity ("N days from issue", fixed dates) is counted in it. */
  timezone: string;
}

export interface GiftGrant {
  grant: GiftGrantRow;
  /** True when the reference had been granted before (nothing was given this time). */
  replayed: boolean;
}

/**
 * Gives a member a gift in the caller's unit of work: vouchers from member voucher templates,
 * issued through the vouchers module (funded by the tenant's voucher funding account),
 * after taking one unit of stock. Out of stock is not a refusal: the grant is recorded as
 * `out_of_stock` and the caller's sale goes on. A template whose fixed dates have already
 * ended gives nothing for its line.
 */
export async function grantGift(
  uow: UnitOfWork,
  context: RequestContext,
  input: GrantGiftInput,
  now: Date,
): Promise<GiftGrant> {
  const tenantId = uow.tenantId;
  // The reference's row first: a concurrent grant of the same reference waits on it and
  // then finds it, instead of giving twice.
  const inserted = await uow.trx
    .insertInto("gift_grants")
    .values({
      tenant_id: tenantId,
      id: newId("ggr"),
      source_ref: input.sourceRef,
      member_id: input.memberId,
      spec: JSON.stringify(input.spec),
      status: "no_gift",
      voucher_ids: JSON.stringify([]),
      stock_key: input.stockKey ?? null,
      created_at: now,
      revoked_at: null,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "source_ref"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!inserted) {
    const existing = await uow.trx
      .selectFrom("gift_grants")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("source_ref", "=", input.sourceRef)
      .executeTakeFirstOrThrow();
    if (existing.member_id !== input.memberId) {
      throw new CatalogError("gift_source_reused", `Gift ${input.sourceRef} was granted to another member`);
    }
    return { grant: existing, replayed: true };
  }

  const lines = await giftLines(uow.trx, tenantId, input.spec);
  const total = lines.reduce((s, l) => s + l.quantity, 0);
  if (total > MAX_VOUCHERS_PER_GRANT) {
    throw new CatalogError("invalid_gift", `A gift gives at most ${MAX_VOUCHERS_PER_GRANT} vouchers`);
  }
  // Each line's template and validity first: a gift whose every template has ended gives
  // nothing, and must not use up a unit of a limited stock that a later gift could give.
  const giving: { template: Awaited<ReturnType<typeof findTemplate>>; quantity: number; window: Window }[] =
    [];
  for (const line of lines) {
    const template = await findTemplate(uow.trx, tenantId, line.template_id);
    const window = validityWindow(
      {
        kind: template.validity_kind,
        validFrom: template.valid_from,
        validUntil: template.valid_until,
        validDays: template.valid_days,
      },
      now,
      input.timezone,
    );
    if (window.expiresAt.getTime() > now.getTime())
      giving.push({ template, quantity: line.quantity, window });
  }
  let status: GiftGrantStatus = "no_gift";
  const voucherIds: string[] = [];
  if (giving.length > 0) {
    if (input.stockKey && !(await takeGiftStock(uow.trx, tenantId, input.stockKey, now))) {
      status = "out_of_stock";
    } else {
      for (const { template: t, quantity, window } of giving) {
        for (let i = 0; i < quantity; i++) {
          const voucher = await issueMemberVoucher(
            uow,
            context,
            {
              memberId: input.memberId,
              issuerId: null,
              amount: t.face_amount,
              asset: t.asset,
              scope: { kind: t.scope_kind, productCodes: t.product_codes },
              minBillAmount: t.min_spend,
              startsAt: window.startsAt,
              expiresAt: window.expiresAt,
            },
            now,
          );
          voucherIds.push(voucher.id);
        }
      }
      status = "granted";
    }
  }
  const grant = await uow.trx
    .updateTable("gift_grants")
    .set({ status, voucher_ids: JSON.stringify(voucherIds) })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", inserted.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "gift.granted",
      targetType: "gift_grant",
      targetId: grant.id,
      summary: { source_ref: input.sourceRef, member_id: input.memberId, status, voucher_ids: voucherIds },
    },
    now,
  );
  return { grant, replayed: false };
}
