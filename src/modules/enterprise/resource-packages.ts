import { createHash } from "node:crypto";
import { sql } from "kysely";
import { type AccountInput, expectTransfer, openAccount, type UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";
import { assertGrantor, findUnit, type PackageRow, type UsageDraw } from "./enterprise.repository.js";

/** Packages considered per usage record (own and shared together). */
export const MAX_PACKAGES_PER_USAGE = 200;

/** A package's account, the grant source per owner and unit, and where usage goes. */
export const packageAccounts = {
  package: (id: string) => `rpkg_${id}`,
  source: (ownerId: string, unit: string) => `rpkg_src_${ownerId}_${unit}`,
  used: (unit: string) => `rpkg_used_${unit}`,
};

const open = (uow: UnitOfWork, input: AccountInput) =>
  openAccount(
    uow,
    { owner_module: "enterprise", ...input },
    () => new EnterpriseError("asset_not_found", `Unit ${input.asset} is not set up as a ledger asset`),
  );

/**
 * A resource package: `quantity` units (a ledger asset per unit, e.g. GB, VCPU_HOUR) of
 * one product for one account (master or member), usable in [starts_at, expires_at).
 */
export async function createPackage(
  uow: UnitOfWork,
  context: RequestContext,
  input: {
    ownerId: string;
    productCode: string;
    unit: string;
    quantity: number;
    startsAt: Date;
    expiresAt: Date;
  },
  now: Date,
): Promise<PackageRow> {
  const owner = await findUnit(uow.trx, context.actor, input.ownerId, "org_unit");
  if (owner.kind !== "enterprise" && owner.kind !== "member_account") {
    throw new EnterpriseError(
      "not_a_member_account",
      "Packages belong to an enterprise master or a member account",
    );
  }
  await assertGrantor(uow.trx, context.actor, owner);
  if (input.expiresAt.getTime() <= input.startsAt.getTime() || input.expiresAt.getTime() <= now.getTime()) {
    throw new EnterpriseError(
      "invalid_validity",
      "The package's validity must end after it starts and after now",
    );
  }
  const id = newId("rpk");
  const account = await open(uow, {
    id: packageAccounts.package(id),
    asset: input.unit,
    kind: "resource_package",
    owner_id: id,
    debits_must_not_exceed_credits: true,
  });
  const source = await open(uow, {
    id: packageAccounts.source(owner.id, input.unit),
    asset: input.unit,
    kind: "resource_package_source",
    owner_id: owner.id,
  });
  // A quantity past the ledger's bound, or one the source's running sums cannot take, is the
  // caller's refusal (amount_out_of_range), not a broken invariant.
  expectTransfer(
    await uow.transfer({
      id: `tr_${id}_grant`,
      debit_account_id: source,
      credit_account_id: account,
      amount: input.quantity,
      code: "package_grant",
      reference_module: "enterprise",
      reference_id: id,
    }),
  );
  const row = await uow.trx
    .insertInto("resource_packages")
    .values({
      tenant_id: context.actor.tenantId,
      id,
      owner_id: owner.id,
      product_code: input.productCode,
      unit: input.unit,
      total_quantity: input.quantity,
      starts_at: input.startsAt,
      expires_at: input.expiresAt,
      account_id: account,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "resource_package.created",
      targetType: "resource_package",
      targetId: id,
      summary: {
        owner_id: owner.id,
        product_code: input.productCode,
        unit: input.unit,
        quantity: input.quantity,
      },
    },
    now,
  );
  return row;
}

export interface UsageInput {
  usageId: string;
  accountId: string;
  productCode: string;
  unit: string;
  quantity: number;
  /** When the use happened; null: now. */
  usedAt: Date | null;
}

export interface UsageResult {
  usageId: string;
  accountId: string;
  productCode: string;
  unit: string;
  quantity: number;
  coveredQuantity: number;
  billableQuantity: number;
  draws: UsageDraw[];
}

/**
 * Covers a usage record with packages, in this order: the account's own packages for the
 * product (earliest expiry first, then oldest), then — for a member account whose sharing
 * is on — its master's packages in the same order. Members never share their own
 * packages. What no package covers is reported back as billable. Idempotent by usage id.
 */
export async function recordUsage(
  uow: UnitOfWork,
  context: RequestContext,
  input: UsageInput,
  now: Date,
): Promise<UsageResult> {
  const { actor } = context;
  const trx = uow.trx;
  const account = await findUnit(trx, actor, input.accountId, "org_unit");
  const usedAt = input.usedAt ?? now;
  const hash = usageHash(input);
  // One usage id at a time: a concurrent duplicate waits here, then sees the first.
  await sql`select pg_advisory_xact_lock(hashtextextended(${`resource_usage:${actor.tenantId}:${input.usageId}`}, 0))`.execute(
    trx,
  );
  const existing = await trx
    .selectFrom("resource_usages")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("usage_id", "=", input.usageId)
    .forUpdate()
    .executeTakeFirst();
  if (existing) {
    if (!sameUsage(existing, input, hash))
      throw new EnterpriseError("usage_id_reused", "This usage id was used with different content");
    return toResult(existing);
  }
  const owners = [{ id: account.id, shared: false }];
  if (account.kind === "member_account") {
    const membership = await trx
      .selectFrom("enterprise_members")
      .select(["enterprise_id", "sharing_enabled"])
      .where("tenant_id", "=", actor.tenantId)
      .where("member_id", "=", account.id)
      .executeTakeFirst();
    if (membership?.sharing_enabled) owners.push({ id: membership.enterprise_id, shared: true });
  }
  let left = input.quantity;
  const draws: UsageDraw[] = [];
  const used = await open(uow, {
    id: packageAccounts.used(input.unit),
    asset: input.unit,
    kind: "resource_usage",
  });
  for (const owner of owners) {
    if (left === 0) break;
    // The MAX_PACKAGES_PER_USAGE considered are those with quantity left as committed (or
    // granted in this batch, not yet written), so packages used up, still active until they
    // end, never crowd out ones that hold quantity; what is drawn rests on the unit's balances.
    const packages = await trx
      .selectFrom("resource_packages as p")
      .leftJoin("ledger_accounts as a", (j) =>
        j.onRef("a.tenant_id", "=", "p.tenant_id").onRef("a.id", "=", "p.account_id"),
      )
      .selectAll("p")
      .where("p.tenant_id", "=", actor.tenantId)
      .where("p.owner_id", "=", owner.id)
      .where("p.product_code", "=", input.productCode)
      .where("p.unit", "=", input.unit)
      // Valid when the use happened, and still usable now: a package past its end holds only
      // what its expiry returns to the source (whether or not the job has run yet), and one not
      // yet started cannot be opened by a use dated ahead.
      .where("p.starts_at", "<=", usedAt)
      .where("p.expires_at", ">", usedAt)
      .where("p.starts_at", "<=", now)
      .where("p.expires_at", ">", now)
      .where("p.expired_at", "is", null)
      .where(sql<boolean>`(a.id is null or a.credits_posted > a.debits_posted)`)
      .orderBy("p.expires_at")
      .orderBy("p.id")
      .limit(MAX_PACKAGES_PER_USAGE)
      .forUpdate("p")
      .execute();
    for (const pkg of packages) {
      if (left === 0) break;
      const balance = (await uow.balances(pkg.account_id))?.posted ?? 0;
      const take = Math.min(balance, left);
      if (take === 0) continue;
      expectTransfer(
        await uow.transfer({
          id: `tr_${newId("rus")}`,
          debit_account_id: pkg.account_id,
          credit_account_id: used,
          amount: take,
          code: "package_usage",
          reference_module: "enterprise",
          reference_id: input.usageId,
        }),
      );
      draws.push({ package_id: pkg.id, quantity: take, shared: owner.shared });
      left -= take;
    }
  }
  const row = await trx
    .insertInto("resource_usages")
    .values({
      tenant_id: actor.tenantId,
      id: newId("rus"),
      usage_id: input.usageId,
      account_owner_id: account.id,
      product_code: input.productCode,
      unit: input.unit,
      quantity: input.quantity,
      covered_quantity: input.quantity - left,
      billable_quantity: left,
      draws: JSON.stringify(draws),
      request_hash: hash,
      used_at: usedAt,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "resource_usage.recorded",
      targetType: "resource_usage",
      targetId: input.usageId,
      summary: {
        account_id: account.id,
        product_code: input.productCode,
        unit: input.unit,
        quantity: input.quantity,
        covered_quantity: input.quantity - left,
        billable_quantity: left,
        draws,
      },
    },
    now,
  );
  await emitEnterpriseEvent(
    uow,
    actor.tenantId,
    "enterprise.usage_recorded",
    {
      usage_id: input.usageId,
      account_id: account.id,
      product_code: input.productCode,
      quantity: input.quantity,
      covered_quantity: input.quantity - left,
      billable_quantity: left,
    },
    now,
  );
  return toResult(row);
}

/**
 * What a usage id stands for: the account, product, unit and quantity, and the time of use
 * when the caller gave one (a use reported without one is "now", whatever now is on a replay).
 */
function usageHash(input: UsageInput): string {
  const content: unknown[] = [input.accountId, input.productCode, input.unit, input.quantity];
  if (input.usedAt) content.push(input.usedAt.toISOString());
  return createHash("sha256").update(JSON.stringify(content)).digest("hex");
}

/**
 * Whether a stored usage is this request again. Usages stored before the time of use was part
 * of the hash match on the rest, and on the time stored, when the request names one.
 */
function sameUsage(existing: { request_hash: string; used_at: Date }, input: UsageInput, hash: string) {
  if (existing.request_hash === hash) return true;
  if (!input.usedAt) return false;
  const legacy = usageHash({ ...input, usedAt: null });
  return existing.request_hash === legacy && existing.used_at.getTime() === input.usedAt.getTime();
}

function toResult(row: {
  usage_id: string;
  account_owner_id: string;
  product_code: string;
  unit: string;
  quantity: number;
  covered_quantity: number;
  billable_quantity: number;
  draws: UsageDraw[];
}): UsageResult {
  return {
    usageId: row.usage_id,
    accountId: row.account_owner_id,
    productCode: row.product_code,
    unit: row.unit,
    quantity: row.quantity,
    coveredQuantity: row.covered_quantity,
    billableQuantity: row.billable_quantity,
    draws: row.draws,
  };
}
