/**
 * The member center's public surface (issue 22): one-time links a merchant's backend hands
 * its members, the trade of a link's code for a member token, and the page's look. The pages
 * themselves are web/member, served at /m/<tenant id>/ (src/platform/http/console.ts).
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { MEMBERCENTER_ERRORS } from "./membercenter.errors.js";
import { memberCenterRoutes } from "./membercenter.routes.js";

export { createLink as createMemberCenterLink, memberCenterPath } from "./create-link.js";
export { CODE_TTL_SECONDS, type Page as MemberCenterPage } from "./membercenter.schemas.js";

/** Everything the member center adds to the app. */
export const memberCenterManifest: ModuleManifest = {
  name: "membercenter",
  routes: memberCenterRoutes,
  permissions: {
    "member_center.read": ALL_STAFF,
    "member_center.link": OPERATORS,
    "member_center.settings": MANAGERS,
  },
  errors: MEMBERCENTER_ERRORS,
  // A link's code is worth nothing once it has expired (used or not).
  expiringRows: [{ table: "member_center_codes", at: "expires_at" }],
};
