/**
 * The students module's public surface: student ID verification (seed 001 §2.6). Other
 * modules import only this file. Rules: README.md.
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { runStudentExpiry, STUDENT_EXPIRY_JOB } from "./expire-students.js";
import { STUDENTS_ERRORS } from "./students.errors.js";
import { STUDENTS_EVENTS } from "./students.events.js";
import { STUDENT_NOTICES } from "./students.notices.js";
import { studentsRoutes } from "./students.routes.js";

export { runStudentExpiry, STUDENT_EXPIRY_JOB } from "./expire-students.js";
export { shareBasisPoints } from "./student-dashboard.js";
export { studentValidUntil } from "./student-validity.js";
export { studentsRoutes };

/** Everything the students module adds to the app. */
export const studentsManifest: ModuleManifest = {
  name: "students",
  routes: studentsRoutes,
  permissions: {
    "students.read": ALL_STAFF,
    "students.submit": OPERATORS,
    "students.review": OPERATORS,
    "students.settings": MANAGERS,
  },
  errors: STUDENTS_ERRORS,
  events: STUDENTS_EVENTS.types,
  notices: STUDENT_NOTICES,
  // Expiry and expiration reminders: every minute, across tenants, at the clock's now.
  jobs: (deps) => [
    {
      name: STUDENT_EXPIRY_JOB,
      policy: "stately",
      handler: async () => ({ settled: await runStudentExpiry(deps) }),
    },
  ],
  crons: [{ name: STUDENT_EXPIRY_JOB, cron: "* * * * *" }],
  timers: [
    {
      job: STUDENT_EXPIRY_JOB,
      due: [
        { table: "student_verifications", at: "valid_until", where: "status = 'approved'" },
        {
          table: "student_verifications",
          at: "remind_at",
          where: "status = 'approved' and reminder_sent_at is null",
        },
      ],
      run: (deps, tenantId, now) => runStudentExpiry(deps, tenantId, now),
    },
  ],
};
