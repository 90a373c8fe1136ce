/**
 * The gift cards module's public surface: other modules import only this file. See README.md.
 *
 * A sold card is a ledger account in its plan's currency that may not go below zero; every
 * change of value is an activity of a named type (Square's model) in one unit of work.
 */
import "./giftcards.errors.js";

export { giftcardsRoutes } from "./giftcards.routes.js";
