import { systemActor } from "../../platform/auth/actor.js";
import type { RowError } from "../../platform/files/files.schema.js";
import type { ImportDefinition } from "../../platform/files/registry.js";
import { tenantZone } from "../../platform/tenants.js";
import type { DomainError } from "../../shared/errors.js";
import { createMember } from "./create-member.js";
import {
  fieldProblems,
  labelCodes,
  MAX_LABELS_PER_MEMBER,
  type MemberInput,
  parseBirthday,
  resolveCard,
  STUDENT_NO,
  STUDENT_YES,
} from "./member-input.js";
import { findByCode, loadCatalog } from "./members.repository.js";

/**
 * Member import through the shared import machinery (`POST /v1/imports` with type
 * `members`): xlsx or CSV, checked row by row, then against the tenant's plans, tiers,
 * groups, tags and existing references, and written in one transaction.
 */
type Row = MemberInput & { name: string };

const TRUE = STUDENT_YES;
const FALSE = STUDENT_NO;

export const MEMBERS_IMPORT: ImportDefinition<Row> = {
  type: "members",
  description: "New members; card plan, tier, groups and tags by code (groups and tags comma-separated)",
  permission: "members.manage",
  columns: [
    { key: "name", header: "name", required: true, description: "Member name", example: "张三" },
    {
      key: "external_ref",
      header: "external_ref",
      required: false,
      description: "Your id for the member (unique)",
      example: "crm-1001",
    },
    { key: "phone", header: "phone", required: false, description: "Phone number", example: "13800000000" },
    { key: "email", header: "email", required: false, description: "Email", example: "" },
    {
      key: "birthday",
      header: "birthday",
      required: false,
      description: "MM-DD or YYYY-MM-DD",
      example: "03-15",
    },
    {
      key: "card_plan",
      header: "card_plan",
      required: false,
      description: "Card plan code",
      example: "standard",
    },
    { key: "tier", header: "tier", required: false, description: "Tier code", example: "gold" },
    {
      key: "card_number",
      header: "card_number",
      required: false,
      description: "Card number (unique)",
      example: "",
    },
    { key: "student", header: "student", required: false, description: "yes / no", example: "no" },
    { key: "groups", header: "groups", required: false, description: "Group codes", example: "vip" },
    { key: "tags", header: "tags", required: false, description: "Tag codes", example: "" },
  ],
  parseRow: (cells, row) => {
    const errors: RowError[] = [];
    const name = cells.name ?? "";
    if (name === "" || name.length > 200)
      errors.push({ row, column: "name", message: "is required (at most 200 characters)" });
    if (cells.birthday) {
      try {
        parseBirthday(cells.birthday);
      } catch {
        errors.push({ row, column: "birthday", message: "must be MM-DD or YYYY-MM-DD" });
      }
    }
    const student = (cells.student ?? "").toLowerCase();
    if (!TRUE.includes(student) && !FALSE.includes(student)) {
      errors.push({ row, column: "student", message: "must be yes or no" });
    }
    const opt = (v: string | undefined) => (v ? v : undefined);
    const fields = {
      external_ref: opt(cells.external_ref),
      phone: opt(cells.phone),
      email: opt(cells.email),
      card_number: opt(cells.card_number),
    };
    for (const p of fieldProblems(fields)) errors.push({ row, column: p.field, message: p.message });
    for (const column of ["groups", "tags"] as const) {
      if ((labelCodes(cells[column])?.length ?? 0) > MAX_LABELS_PER_MEMBER) {
        errors.push({ row, column, message: `at most ${MAX_LABELS_PER_MEMBER} codes` });
      }
    }
    if (errors.length > 0) return { errors };
    return {
      value: {
        name,
        ...fields,
        birthday: opt(cells.birthday),
        card_plan: opt(cells.card_plan),
        tier: opt(cells.tier),
        student: TRUE.includes(student),
        groups: labelCodes(cells.groups),
        tags: labelCodes(cells.tags),
      },
    };
  },
  validate: async (trx, tenantId, rows) => {
    const errors: RowError[] = [];
    const catalog = await loadCatalog(trx, tenantId);
    const refs = rows.map((r) => r.value.external_ref).filter((x): x is string => !!x);
    const cards = rows.map((r) => r.value.card_number).filter((x): x is string => !!x);
    const takenRefs = new Set(
      refs.length
        ? (
            await trx
              .selectFrom("members")
              .select("external_ref")
              .where("tenant_id", "=", tenantId)
              .where("external_ref", "in", refs)
              .execute()
          ).map((r) => r.external_ref)
        : [],
    );
    const takenCards = new Set(
      cards.length
        ? (
            await trx
              .selectFrom("members")
              .select("card_number")
              .where("tenant_id", "=", tenantId)
              .where("card_number", "in", cards)
              .execute()
          ).map((r) => r.card_number)
        : [],
    );
    const seenRefs = new Map<string, number>();
    const seenCards = new Map<string, number>();
    for (const { row, value } of rows) {
      try {
        resolveCard(catalog, value.card_plan, value.tier);
      } catch (error) {
        errors.push({
          row,
          column: value.tier ? "tier" : "card_plan",
          message: (error as DomainError).message,
        });
      }
      for (const code of value.groups ?? []) {
        if (!findByCode(catalog.groups, code))
          errors.push({ row, column: "groups", message: `no group ${code}` });
      }
      for (const code of value.tags ?? []) {
        if (!findByCode(catalog.tags, code)) errors.push({ row, column: "tags", message: `no tag ${code}` });
      }
      for (const [column, v, taken, seen] of [
        ["external_ref", value.external_ref, takenRefs, seenRefs],
        ["card_number", value.card_number, takenCards, seenCards],
      ] as const) {
        if (!v) continue;
        if (taken.has(v)) errors.push({ row, column, message: `${v} already belongs to a member` });
        else if (seen.has(v)) errors.push({ row, column, message: `${v} repeats row ${seen.get(v)}` });
        else seen.set(v, row);
      }
    }
    return errors;
  },
  apply: async (trx, tenantId, rows, { jobId, now }) => {
    const catalog = await loadCatalog(trx, tenantId);
    const zone = await tenantZone(trx, tenantId);
    const ctx = { actor: systemActor(tenantId, `import:${jobId}`), requestId: null };
    for (const { value } of rows)
      await createMember(trx, ctx, value, now, { catalog, reason: "import", zone });
  },
};
