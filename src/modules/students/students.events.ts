import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";

/** The students module's webhook events; each is written in the unit of work of its change. */
const Ref = {
  verification_id: Type.String(),
  member_id: Type.String(),
};
const Period = {
  ...Ref,
  valid_from: Type.String({ format: "date-time" }),
  valid_until: Type.String({ format: "date-time" }),
};

const EVENTS = {
  "student.verification_submitted": {
    description: "A member (or staff for them) submitted a student ID for review",
    schema: Type.Object({ ...Ref, school: Type.String(), graduation_date: Type.String({ format: "date" }) }),
  },
  "student.verified": {
    description:
      "A student ID was approved: the member is a student until valid_until (tag, group and gift given)",
    schema: Type.Object({
      ...Period,
      first_verification: Type.Boolean(),
      gift_grant_id: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  "student.verification_rejected": {
    description: "A student ID was rejected, with the reviewer's reason",
    schema: Type.Object({ ...Ref, reason: Type.String() }),
  },
  "student.expired": {
    description:
      "A member lost student status: the validity period ended, or the graduation date passed (reason)",
    schema: Type.Object({ ...Period, reason: Type.String() }),
  },
} as const;

export type StudentEventType = keyof typeof EVENTS;

export const STUDENTS_EVENTS = defineEvents(EVENTS);

export const emitStudentEvent = STUDENTS_EVENTS.emit;
