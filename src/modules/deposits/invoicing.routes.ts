import type { AppDeps, RouteApp } from "../../app-types.js";

/** Invoicing routes (qualification, mailing addresses, requests). */
export async function invoiceRoutes(_app: RouteApp, _deps: AppDeps): Promise<void> {}
