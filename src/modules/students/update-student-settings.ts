import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertImage, type GiftSpec, validateGiftSpec } from "../catalog/index.js";
import { moveStudentLabels } from "../members/index.js";
import { packageSummaries } from "../packages/index.js";
import { shortestValidityDays } from "./student-validity.js";
import { StudentsError } from "./students.errors.js";
import {
  type GiftRule,
  holdStudentSettings,
  loadSettings,
  type SettingsRow,
  type ValidityUnit,
  type VerificationPage,
} from "./students.repository.js";

export interface SettingsInput {
  validity: { count: number; unit: ValidityUnit };
  reminderDays: number;
  page: VerificationPage;
  tag: string | null;
  group: string | null;
  gift: GiftSpec;
  giftRule: GiftRule;
}

/**
 * Student ID settings, one save for the whole page. Everything named must exist: page images
 * uploaded with purpose `verification_page`, packages whose audience is students only
 * (`{"student": true}`), the tag and group, the gift's templates. A new tag or group moves
 * every current student from the old one in the same transaction. A new validity period,
 * reminder or gift applies to approvals from now on.
 */
export async function updateStudentSettings(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: SettingsInput,
  now: Date,
): Promise<SettingsRow> {
  const { trx, tenantId } = uow;
  // The reminder is due `reminderDays` before the end: a lead as long as the validity would
  // make it due at (or before) the approval itself, telling a member just verified that the
  // status is ending. Judged on the shortest the period can be (a month may have 28 days).
  const shortest = shortestValidityDays(input.validity);
  if (input.reminderDays > 0 && input.reminderDays >= shortest) {
    const validity = `${input.validity.count} ${input.validity.unit}${input.validity.count === 1 ? "" : "s"}`;
    throw new StudentsError(
      "validation_failed",
      `reminder_days_before must be less than the validity (${validity} can be as short as ${shortest} days)`,
      {
        errors: [
          {
            field: "/body/reminder_days_before",
            message: `must be less than ${shortest} (the fewest days ${validity} lasts), or 0 for no reminder`,
          },
        ],
      },
    );
  }
  await holdStudentSettings(trx, tenantId, "change");
  const before = await loadSettings(trx, tenantId, { lock: true });
  for (const [i, id] of input.page.image_ids.entries()) {
    await assertImage(trx, tenantId, id, "verification_page", `/body/page/image_ids/${i}`);
  }
  const packages = new Map(
    (await packageSummaries(trx, tenantId, input.page.package_ids)).map((p) => [p.id, p]),
  );
  for (const [i, id] of input.page.package_ids.entries()) {
    const pkg = packages.get(id);
    if (pkg?.audience.student !== true) {
      throw new StudentsError("invalid_student_package", `${id} is not a student-only package`, {
        errors: [
          {
            field: `/body/page/package_ids/${i}`,
            message: "must name a package whose audience is students only",
          },
        ],
      });
    }
  }
  await validateGiftSpec(trx, tenantId, input.gift, "/body/gift");
  await moveStudentLabels(
    trx,
    ctx,
    { tag: before.tag_code, group: before.group_code },
    { tag: input.tag, group: input.group },
    now,
  );
  const values = {
    validity_count: input.validity.count,
    validity_unit: input.validity.unit,
    reminder_days: input.reminderDays,
    page: JSON.stringify(input.page),
    tag_code: input.tag,
    group_code: input.group,
    gift: JSON.stringify(input.gift),
    gift_rule: input.giftRule,
    updated_by: ctx.actor.id,
    updated_at: now,
  };
  const after = await trx
    .insertInto("student_settings")
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    ctx,
    {
      action: "student_settings.updated",
      targetType: "student_settings",
      targetId: tenantId,
      summary: { before: settingsSummary(before), after: settingsSummary(after) },
    },
    now,
  );
  return after;
}

function settingsSummary(s: SettingsRow) {
  return {
    validity: `${s.validity_count} ${s.validity_unit}`,
    reminder_days: s.reminder_days,
    tag: s.tag_code,
    group: s.group_code,
    gift: s.gift,
    gift_rule: s.gift_rule,
    packages: s.page.package_ids,
  };
}
