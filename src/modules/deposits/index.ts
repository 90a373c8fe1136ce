/** The deposits module's public surface: other modules import only this file. */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, FINANCE, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { DEPOSITS_ERRORS } from "./deposits.errors.js";
import { DEPOSITS_EVENTS } from "./deposits.events.js";
import {
  BANK_STATEMENT_IMPORT,
  DEPOSIT_LEDGER_EXPORT,
  DEPOSIT_TRANSACTIONS_EXPORT,
} from "./deposits.files.js";
import { DEPOSIT_NOTICES } from "./deposits.notices.js";
import { depositsRoutes } from "./deposits.routes.js";
import { depositJobs } from "./recheck.js";

export { RECHECK_JOB } from "./credit-topup.js";
export { assertCanRunCampaigns } from "./deposit-rules.js";
export { recheckTenant } from "./recheck.js";

/** Everything the deposits module adds to the app. */
export const depositsManifest: ModuleManifest = {
  name: "deposits",
  routes: depositsRoutes,
  permissions: {
    "deposits.read": ALL_STAFF,
    "deposits.manage": OPERATORS,
    "deposits.costs": OPERATORS,
    "deposits.finance": FINANCE,
    "deposits.settings": MANAGERS,
  },
  errors: DEPOSITS_ERRORS,
  events: DEPOSITS_EVENTS.types,
  notices: DEPOSIT_NOTICES,
  imports: [BANK_STATEMENT_IMPORT],
  exports: [DEPOSIT_LEDGER_EXPORT, DEPOSIT_TRANSACTIONS_EXPORT],
  jobs: depositJobs,
};
