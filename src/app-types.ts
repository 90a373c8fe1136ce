import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import type { Ledger } from "./ledger/index.js";
import type { Actor } from "./platform/auth/actor.js";
import type { JobRunner } from "./platform/jobs/job-runner.js";
import type { Notifier } from "./platform/notify/notifier.js";
import type { Clock } from "./shared/clock.js";

/**
 * What route plugins receive. Passed explicitly to each module's routes function:
 * no decorators, no service locator on the Fastify instance.
 * Modules that own long-lived services (the ledger, jobs, notifications) add a field here.
 */
export interface AppDeps {
  config: Config;
  db: Database;
  clock: Clock;
  /** The ledger: units of work with group commit (every balance lives here). */
  ledger: Ledger;
  /** Background jobs (pg-boss); absent in tests that build deps without it: work then runs in-process. */
  jobs?: JobRunner;
  /** Email, SMS and in-app notices. */
  notifier?: Notifier;
}

export type RouteApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A module's routes: `export async function ledgerRoutes(app: RouteApp, deps: AppDeps)`. */
export type RoutesFn = (app: RouteApp, deps: AppDeps) => Promise<void>;

/**
 * Every `/v1` route declares who may call it in `config`; the app refuses to start
 * otherwise. `permission` names a row of the permission table (staff: API keys, users);
 * `member` lets a member token through (the handler must confine it to actor.memberId);
 * `public` needs no credentials (login, health).
 */
export interface RouteAccess {
  permission?: string;
  member?: boolean;
  public?: boolean;
  /**
   * Only actors not bound to an org unit may call it (tenant-wide resources such as the
   * ledger's raw accounts, which no subtree owns).
   */
  tenantWide?: boolean;
  /** Writes replayed by Idempotency-Key (set on every POST that creates or moves value). */
  idempotent?: boolean;
}

declare module "fastify" {
  interface FastifyContextConfig extends RouteAccess {}
  interface FastifyRequest {
    /** Set by authentication on every non-public route. */
    actor: Actor;
  }
}
