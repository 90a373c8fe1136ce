import type { RoutesFn } from "./app-types.js";
import { ledgerRoutes } from "./ledger/ledger.routes.js";
import { benefitsRoutes } from "./modules/benefits/index.js";
import { catalogRoutes } from "./modules/catalog/index.js";
import { checkoutRoutes } from "./modules/checkout/index.js";
import { depositsRoutes } from "./modules/deposits/index.js";
import { enterpriseRoutes } from "./modules/enterprise/index.js";
import { membersRoutes } from "./modules/members/members.routes.js";
import { topupRoutes } from "./modules/topup/index.js";
import { vouchersRoutes } from "./modules/vouchers/vouchers.routes.js";
import { paymentProviderRoutes } from "./modules/wallets/index.js";
import { walletsRoutes } from "./modules/wallets/wallets.routes.js";
import { auditRoutes } from "./platform/audit/audit.routes.js";
import { eventsRoutes } from "./platform/events/events.routes.js";
import { filesRoutes } from "./platform/files/files.routes.js";
import { foundationRoutes } from "./platform/foundation.routes.js";
import { jobsRoutes } from "./platform/jobs/jobs.routes.js";
import { notifyRoutes } from "./platform/notify/notify.routes.js";
import { orgRoutes } from "./platform/org/org.routes.js";
import { userRoutes } from "./platform/users.routes.js";

/** Every module's routes, in the order they appear in the docs. Add a module here. */
export const routeModules: RoutesFn[] = [
  foundationRoutes,
  orgRoutes,
  userRoutes,
  auditRoutes,
  eventsRoutes,
  notifyRoutes,
  filesRoutes,
  jobsRoutes,
  ledgerRoutes,
  membersRoutes,
  walletsRoutes,
  vouchersRoutes,
  enterpriseRoutes,
  benefitsRoutes,
  catalogRoutes,
  depositsRoutes,
  checkoutRoutes,
  topupRoutes,
  paymentProviderRoutes,
];
