import type { AppDeps, RouteApp } from "../../app-types.js";
import { cardActionRoutes } from "./card-actions.routes.js";
import { pinSecretOf } from "./card-number.js";
import { cardRoutes } from "./cards.routes.js";
import { setPinSecretForImports } from "./giftcards.files.js";
import { memberCardRoutes } from "./member-cards.routes.js";
import { planRoutes } from "./plans.routes.js";

/** Every gift card route: plans, cards and their activities, member-facing, online payment confirmations. */
export async function giftcardsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  setPinSecretForImports(pinSecretOf(deps.config.signingSecret));
  planRoutes(app, deps);
  cardRoutes(app, deps);
  cardActionRoutes(app, deps);
  await memberCardRoutes(app, deps);
}
