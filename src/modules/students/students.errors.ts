import { defineErrors } from "../../shared/errors.js";

/** Every refusal the students module gives, with its HTTP status. */
export const STUDENTS_ERRORS = defineErrors({
  // Shared with the modules a verification goes through (same statuses as theirs).
  member_not_found: 404,
  member_closed: 422,
  member_frozen: 422,
  member_tag_not_found: 404,
  member_group_not_found: 404,
  image_not_found: 404,
  invalid_image: 400,
  invalid_gift: 422,
  unsupported_media_type: 415,
  student_verification_not_found: 404,
  student_verification_pending: 409,
  student_verification_not_pending: 409,
  graduation_date_passed: 422,
  invalid_student_package: 422,
  too_many_student_id_images: 422,
});

export type StudentErrorCode = (typeof STUDENTS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const StudentsError = STUDENTS_ERRORS.Error;
