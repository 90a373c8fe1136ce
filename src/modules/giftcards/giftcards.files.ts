import { type Insertable, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import type { RowError } from "../../platform/files/files.schema.js";
import type { ExportDefinition, ImportDefinition } from "../../platform/files/registry.js";
import { parseDateTime } from "../../shared/date-time.js";
import type { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { luhnValid, pinHash } from "./card-number.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  ACTIVITY_TYPES,
  CARD_STATUSES,
  CARD_TYPES,
  findCard,
  findPlan,
  type GiftCardsTable,
  PAYMENT_METHODS,
  type PlanRow,
  SALE_CHANNELS,
} from "./giftcards.repository.js";
import {
  type ActivityFilters,
  type ActivityListRow,
  activityQuery,
  type CardFilters,
  type CardListRow,
  cardQuery,
} from "./list-cards.js";
import { priceOf } from "./plan-rules.js";

/**
 * Gift card files through the shared import and export jobs (`POST /v1/imports`,
 * `POST /v1/exports`; templates and history there too):
 * - import `gift_cards`: physical card numbers for corporate bulk sales, created inactive
 *   (stock) until sold at the POS by number; all-or-nothing by default, each bad row named;
 * - export `gift_cards`: the sold-card list with the list's filters;
 * - export `gift_card_activities`: the transaction record with every field.
 */

/** Rows one export may hold; a larger one is refused (narrow the filters), never cut short. */
export const MAX_EXPORT_ROWS = 100_000;
const PAGE = 2000;
/**
 * Card imports of one tenant take turns, from their check of which numbers exist to their
 * commit: two at once naming one number would each find it free, and the second would then
 * fail on the database's unique index instead of naming the row whose card already exists.
 */
export async function lockGiftCardImports(trx: Tx, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`gift_card_import:${tenantId}`}, 0))`.execute(
    trx,
  );
}

const INSERT_BATCH = 1000;

/**
 * The key PINs are hashed with, set when the module's routes or jobs are built (the import
 * machinery calls `apply` without the service's configuration).
 */
let importPinSecret: string | null = null;
export function setPinSecretForImports(secret: string): void {
  importPinSecret = secret;
}

interface ImportRow {
  number: string;
  plan_id: string;
  pin: string | null;
  face_amount: number | null;
}

export const GIFT_CARDS_IMPORT: ImportDefinition<ImportRow> = {
  type: "gift_cards",
  description:
    "Physical gift cards for bulk sales: created inactive (stock) and activated when sold at the POS by card number",
  permission: "giftcards.manage",
  columns: [
    {
      key: "card_number",
      header: "card_number",
      required: true,
      description:
        "8-19 digits with a Luhn check digit, unique; enter as text (Excel drops digits of long numbers)",
      example: "6035790012345678",
    },
    {
      key: "plan_id",
      header: "plan_id",
      required: true,
      description: "A physical-card plan",
      example: "gcp_01jd3m2x4y5z6a7b8c9d0e1f2g",
    },
    {
      key: "pin",
      header: "pin",
      required: false,
      description: "4-12 digits printed on the card; empty: a PIN is made at the sale and shown once",
      example: "48213907",
    },
    {
      key: "face_amount",
      header: "face_amount",
      required: false,
      description: "Preset amount in minor units (20000 = 200.00), a denomination or in the custom range",
      example: "20000",
    },
  ],
  parseRow: (cells, row) => {
    const errors: RowError[] = [];
    const number = cells.card_number ?? "";
    if (!/^[0-9]{8,19}$/.test(number)) {
      errors.push({ row, column: "card_number", message: "must be 8-19 digits (as text)" });
    } else if (!luhnValid(number)) {
      errors.push({ row, column: "card_number", message: "has a wrong check digit" });
    }
    const planId = cells.plan_id ?? "";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(planId))
      errors.push({ row, column: "plan_id", message: "is required" });
    const pin = cells.pin ?? "";
    if (pin !== "" && !/^[0-9]{4,12}$/.test(pin))
      errors.push({ row, column: "pin", message: "must be 4-12 digits" });
    const face = cells.face_amount ?? "";
    if (face !== "" && !/^[1-9][0-9]{0,12}$/.test(face)) {
      errors.push({ row, column: "face_amount", message: "must be a positive whole number of minor units" });
    }
    if (errors.length > 0) return { errors };
    return {
      value: { number, plan_id: planId, pin: pin || null, face_amount: face === "" ? null : Number(face) },
    };
  },
  validate: async (trx, tenantId, rows) => {
    await lockGiftCardImports(trx, tenantId);
    const errors: RowError[] = [];
    const planIds = [...new Set(rows.map((r) => r.value.plan_id))];
    const plans = new Map<string, PlanRow>();
    for (let i = 0; i < planIds.length; i += INSERT_BATCH) {
      const found = (await trx
        .selectFrom("gift_card_plans")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("id", "in", planIds.slice(i, i + INSERT_BATCH))
        .execute()) as PlanRow[];
      for (const p of found) plans.set(p.id, p);
    }
    const existing = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const numbers = rows.slice(i, i + INSERT_BATCH).map((r) => r.value.number);
      const found = await trx
        .selectFrom("gift_cards")
        .select("number")
        .where("tenant_id", "=", tenantId)
        .where("number", "in", numbers)
        .execute();
      for (const f of found) existing.add(f.number);
    }
    const seen = new Map<string, number>();
    for (const { row, value } of rows) {
      if (existing.has(value.number)) {
        errors.push({ row, column: "card_number", message: `card ${value.number} already exists` });
      } else if (seen.has(value.number)) {
        errors.push({ row, column: "card_number", message: `repeats row ${seen.get(value.number)}` });
      } else seen.set(value.number, row);
      const plan = plans.get(value.plan_id);
      if (!plan) errors.push({ row, column: "plan_id", message: `no plan ${value.plan_id}` });
      else if (plan.card_type !== "physical") {
        errors.push({ row, column: "plan_id", message: "is not a physical-card plan" });
      } else if (value.face_amount !== null) {
        try {
          priceOf(plan, value.face_amount);
        } catch (error) {
          errors.push({ row, column: "face_amount", message: (error as DomainError).message });
        }
      }
    }
    return errors;
  },
  apply: async (trx, tenantId, rows, { jobId, now }) => {
    if (!importPinSecret)
      throw new Error("the gift card import has no PIN key: build the module's routes or jobs first");
    const secret = importPinSecret;
    const plans = new Map(
      (
        await trx
          .selectFrom("gift_card_plans")
          .select(["id", "currency"])
          .where("tenant_id", "=", tenantId)
          .where("id", "in", [...new Set(rows.map((r) => r.value.plan_id))])
          .execute()
      ).map((p) => [p.id, p.currency]),
    );
    const actor = systemActor(tenantId, `import:${jobId}`);
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const batch: Insertable<GiftCardsTable>[] = rows.slice(i, i + INSERT_BATCH).map(({ value }) => ({
        tenant_id: tenantId,
        id: newId("gc"),
        plan_id: value.plan_id,
        number: value.number,
        card_type: "physical",
        asset: plans.get(value.plan_id)!,
        status: "inactive",
        pin_hash: value.pin ? pinHash(secret, tenantId, value.number, value.pin) : null,
        account_id: null,
        face_amount: value.face_amount,
        paid_amount: 0,
        discount_amount: 0,
        expires_at: null,
        import_job_id: jobId,
        created_by: actor.id,
        created_at: now,
        updated_at: now,
      }));
      await trx.insertInto("gift_cards").values(batch).execute();
    }
    await recordAudit(
      trx,
      actor,
      {
        action: "gift_cards.imported",
        targetType: "file_job",
        targetId: jobId,
        summary: { rows: rows.length },
      },
      now,
    );
  },
};

/** Refuses export filters the list route would refuse, before any job runs. */
function checkFilters(
  filters: Record<string, unknown>,
  allowed: Record<string, readonly string[] | "text" | "date">,
) {
  for (const [key, value] of Object.entries(filters)) {
    const rule = allowed[key];
    const ok =
      rule === undefined
        ? false
        : rule === "text"
          ? typeof value === "string" && value.length > 0 && value.length <= 128
          : rule === "date"
            ? parseDateTime(value) !== undefined
            : Array.isArray(value)
              ? value.every((v) => rule.includes(v as string))
              : rule.includes(value as string);
    if (!ok) {
      throw new GiftcardsError("validation_failed", `Filter ${key} is not valid here`, {
        errors: [
          {
            field: `/body/filters/${key}`,
            message:
              rule === undefined
                ? "is not a filter of this export"
                : rule === "date"
                  ? "must be a date-time such as 2026-11-23T08:00:00Z"
                  : "is not valid",
          },
        ],
      });
    }
  }
}

/**
 * A card or plan named by a filter that the tenant does not have answers 404 as a look-up of it
 * does, not an empty file: cards and plans are never deleted, so a miss is a wrong id. Filters
 * naming what may be gone while its cards remain are not checked: a store (org units can be
 * removed), an operator (users and keys), an import job (pruned after its retention), and a
 * reference (it names objects of several kinds).
 */
const cardAndPlanExist: ExportDefinition["checkReferences"] = async (trx, tenantId, filters) => {
  if (typeof filters.plan_id === "string") await findPlan(trx, tenantId, filters.plan_id);
  if (typeof filters.card_id === "string") await findCard(trx, tenantId, filters.card_id);
};

const CARD_FILTERS = {
  number: "text",
  buyer_phone: "text",
  plan_id: "text",
  card_type: CARD_TYPES,
  status: CARD_STATUSES,
  store_id: "text",
  channel: SALE_CHANNELS,
  holder_member_id: "text",
  sold_from: "date",
  sold_to: "date",
  expires_from: "date",
  expires_to: "date",
  import_job_id: "text",
} as const;

const ACTIVITY_FILTERS = {
  card_id: "text",
  card_number: "text",
  plan_id: "text",
  type: ACTIVITY_TYPES,
  store_id: "text",
  channel: SALE_CHANNELS,
  operator_id: "text",
  reference_id: "text",
  payment_method: PAYMENT_METHODS,
  created_from: "date",
  created_to: "date",
} as const;

export const GIFT_CARDS_EXPORT: ExportDefinition<CardListRow> = {
  type: "gift_cards",
  description: `Gift cards with balances (the sold-card list's filters), by id, at most ${MAX_EXPORT_ROWS} rows`,
  permission: "giftcards.read",
  maxRows: MAX_EXPORT_ROWS,
  validateFilters: (filters) => checkFilters(filters, CARD_FILTERS),
  checkReferences: cardAndPlanExist,
  columns: [
    { key: "id", header: "id", value: (r) => r.id },
    { key: "number", header: "number", value: (r) => r.number },
    { key: "plan_id", header: "plan_id", value: (r) => r.plan_id },
    { key: "card_type", header: "card_type", value: (r) => r.card_type },
    { key: "status", header: "status", value: (r) => r.status },
    { key: "asset", header: "asset", value: (r) => r.asset },
    { key: "balance", header: "balance", value: (r) => r.balance },
    { key: "face_amount", header: "face_amount", value: (r) => r.face_amount },
    { key: "paid_amount", header: "paid_amount", value: (r) => r.paid_amount },
    { key: "discount_amount", header: "discount_amount", value: (r) => r.discount_amount },
    { key: "expires_at", header: "expires_at", value: (r) => r.expires_at },
    { key: "buyer_name", header: "buyer_name", value: (r) => r.buyer_name },
    { key: "buyer_phone", header: "buyer_phone", value: (r) => r.buyer_phone },
    { key: "buyer_email", header: "buyer_email", value: (r) => r.buyer_email },
    { key: "buyer_member_id", header: "buyer_member_id", value: (r) => r.buyer_member_id },
    { key: "holder_member_id", header: "holder_member_id", value: (r) => r.holder_member_id },
    { key: "sale_channel", header: "sale_channel", value: (r) => r.sale_channel },
    { key: "sale_store_id", header: "sale_store_id", value: (r) => r.sale_store_id },
    { key: "payment_method", header: "payment_method", value: (r) => r.sale_payment?.method ?? null },
    { key: "sold_at", header: "sold_at", value: (r) => r.sold_at },
    { key: "frozen_reason", header: "frozen_reason", value: (r) => r.frozen_reason },
    { key: "import_job_id", header: "import_job_id", value: (r) => r.import_job_id },
    { key: "created_at", header: "created_at", value: (r) => r.created_at },
  ],
  count: async (trx, tenantId, filters) => {
    const row = await cardQuery(trx, systemActor(tenantId, "giftcards.export"), filters as CardFilters)
      .clearSelect()
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    const actor = systemActor(tenantId, "giftcards.export");
    let after = "";
    for (;;) {
      const rows = (await cardQuery(trx, actor, filters as CardFilters)
        .where("c.id", ">", after)
        .orderBy("c.id")
        .limit(PAGE)
        .execute()) as CardListRow[];
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1]!.id;
    }
  },
};

/** The export's filters as the activity list takes them (one type filter is a list of one). */
function activityFilters(filters: Record<string, unknown>): ActivityFilters {
  const type = typeof filters.type === "string" ? [filters.type] : filters.type;
  return { ...filters, type } as ActivityFilters;
}

export const GIFT_CARD_ACTIVITIES_EXPORT: ExportDefinition<ActivityListRow> = {
  type: "gift_card_activities",
  description: `Gift card transaction details, every field, oldest first, at most ${MAX_EXPORT_ROWS} rows`,
  permission: "giftcards.read",
  maxRows: MAX_EXPORT_ROWS,
  validateFilters: (filters) => checkFilters(filters, ACTIVITY_FILTERS),
  checkReferences: cardAndPlanExist,
  columns: [
    { key: "id", header: "id", value: (r) => r.id },
    { key: "created_at", header: "created_at", value: (r) => r.created_at },
    { key: "card_id", header: "card_id", value: (r) => r.card_id },
    { key: "card_number", header: "card_number", value: (r) => r.card_number },
    { key: "plan_id", header: "plan_id", value: (r) => r.plan_id },
    { key: "type", header: "type", value: (r) => r.type },
    { key: "amount", header: "amount", value: (r) => r.amount },
    { key: "balance_after", header: "balance_after", value: (r) => r.balance_after },
    { key: "asset", header: "asset", value: (r) => r.asset },
    { key: "store_id", header: "store_id", value: (r) => r.store_id },
    { key: "channel", header: "channel", value: (r) => r.channel },
    { key: "operator_type", header: "operator_type", value: (r) => r.operator_type },
    { key: "operator_id", header: "operator_id", value: (r) => r.operator_id },
    { key: "operator_label", header: "operator_label", value: (r) => r.operator_label ?? null },
    { key: "reference_module", header: "reference_module", value: (r) => r.reference_module },
    { key: "reference_id", header: "reference_id", value: (r) => r.reference_id },
    { key: "redemption_id", header: "redemption_id", value: (r) => r.redemption_id },
    { key: "paid_amount", header: "paid_amount", value: (r) => r.paid_amount },
    { key: "discount_amount", header: "discount_amount", value: (r) => r.discount_amount },
    { key: "payment_method", header: "payment_method", value: (r) => r.payment_method },
    { key: "payment_ref", header: "payment_ref", value: (r) => r.payment_ref },
    { key: "returned_to", header: "returned_to", value: (r) => r.returned_to },
    { key: "reason", header: "reason", value: (r) => r.reason },
  ],
  count: async (trx, tenantId, filters) => {
    const row = await activityQuery(trx, systemActor(tenantId, "giftcards.export"), activityFilters(filters))
      .clearSelect()
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    const actor = systemActor(tenantId, "giftcards.export");
    let after = "";
    for (;;) {
      const rows = (await activityQuery(trx, actor, activityFilters(filters))
        .where("t.id", ">", after)
        .orderBy("t.id")
        .limit(PAGE)
        .execute()) as ActivityListRow[];
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1]!.id;
    }
  },
};
