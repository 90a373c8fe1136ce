/** The deposits module's public surface: other modules import only this file. */

export { RECHECK_JOB } from "./credit-topup.js";
export { assertCanRunCampaigns } from "./deposit-rules.js";
export { depositsRoutes } from "./deposits.routes.js";
export { defineDepositJobs, recheckTenant } from "./recheck.js";
