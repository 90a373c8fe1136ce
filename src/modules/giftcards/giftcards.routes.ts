import type { AppDeps, RouteApp } from "../../app-types.js";
import { ALL_STAFF, definePermissions, FINANCE, OPERATORS } from "../../platform/auth/permissions.js";
import { pinSecretOf } from "./card-number.js";
import "./giftcards.errors.js";
import { cardActionRoutes } from "./card-actions.routes.js";
import { cardRoutes } from "./cards.routes.js";
import { usePinSecretForImports } from "./giftcards.files.js";
import { memberCardRoutes } from "./member-cards.routes.js";
import { planRoutes } from "./plans.routes.js";

definePermissions({
  "giftcards.read": ALL_STAFF,
  "giftcards.manage": OPERATORS,
  "giftcards.sell": OPERATORS,
  "giftcards.freeze": OPERATORS,
  "giftcards.refund": OPERATORS,
  "giftcards.adjust": FINANCE,
});

/** Every gift card route: plans, cards and their activities, member-facing, online payment confirmations. */
export async function giftcardsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  usePinSecretForImports(pinSecretOf(deps.config.signingSecret));
  planRoutes(app, deps);
  cardRoutes(app, deps);
  cardActionRoutes(app, deps);
  await memberCardRoutes(app, deps);
}
