import type { NoticeDefinition } from "../../platform/notify/notices.js";
import type { Notifier } from "../../platform/notify/notifier.js";

export const EXPIRING_NOTICE = "student.expiring";

/** The notices the students module sends (its manifest declares them). */
export const STUDENT_NOTICES: NoticeDefinition[] = [
  {
    type: EXPIRING_NOTICE,
    description: "A member's student status ends soon: verify again to keep student benefits",
    templates: {
      en: {
        subject: "Your student status ends on {{until_date}}",
        body: "Hi {{name}}, your student status (verified at {{school}}) ends on {{until_date}}. Submit your student ID again to keep your student benefits.",
      },
      "zh-CN": {
        subject: "您的学生身份将于 {{until_date}} 到期",
        body: "{{name}}，您好：您在 {{school}} 的学生身份认证将于 {{until_date}} 到期。请重新提交学生证认证，以继续享受学生专属权益。",
      },
    },
  },
];

/** A reminder decided (and marked sent) in the job's transaction, delivered after it commits. */
export interface PendingReminder {
  tenantId: string;
  memberId: string;
  email: string | null;
  phone: string | null;
  vars: Record<string, string>;
}

/**
 * Delivers reminders by email and SMS when the member has them, and always to the member's
 * in-app inbox. A failed delivery is recorded by the notifier and not retried (the reminder
 * is marked sent either way: at most one per approval).
 */
export async function deliverReminders(
  notifier: Notifier | undefined,
  reminders: PendingReminder[],
  now: Date,
): Promise<void> {
  if (!notifier) return;
  for (const r of reminders) {
    const to = {
      inbox: r.memberId,
      ...(r.email ? { email: r.email } : {}),
      ...(r.phone ? { phone: r.phone } : {}),
    };
    await notifier
      .notify(r.tenantId, { type: EXPIRING_NOTICE, recipientKey: r.memberId, to, vars: r.vars }, now)
      .catch(() => {});
  }
}
