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
import type { Actor, Role } from "./platform/auth/actor.js";
import type { MemberTokenGuard } from "./platform/auth/member-tokens.js";
import type { BalanceOrderLookup } from "./platform/balance-orders.js";
import type { EventType } from "./platform/events/outbox.js";
import type { MemberImageLookup } from "./platform/files/member-images.js";
import type { ExportDefinition, ImportDefinition } from "./platform/files/registry.js";
import type { JobDefinition, JobRunner } from "./platform/jobs/job-runner.js";
import type { ExpiringRows } from "./platform/jobs/prune-expired.js";
import type { MemberCloseGuard } from "./platform/member-close-guards.js";
import type { MemberMoveGuard } from "./platform/member-move-guards.js";
import type { NoticeDefinition } from "./platform/notify/notices.js";
import type { Notifier } from "./platform/notify/notifier.js";
import type { OnlineTopupSource } from "./platform/online-topups.js";
import type { OrgUnitMoveGuard } from "./platform/org/move-guards.js";
import type { StoreScopeReferenceLookup } from "./platform/org/store-scope-references.js";
import type {
  BalancePaymentListener,
  BalancePaymentOwnerLookup,
  BalancePaymentRefundListener,
  TopupPaymentHolderLookup,
} from "./platform/payment-outcomes.js";
import type { TenantTimer } from "./platform/sandbox/timers.js";
import type { VoucherSourceReturnListener } from "./platform/voucher-source-returns.js";
import type { Clock } from "./shared/clock.js";
import type { ErrorSet } from "./shared/errors.js";

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
 * Everything a module adds to the app, in one value its index.ts exports. app.ts installs
 * the manifests (permissions, error statuses, event and notice types, file types, the member
 * token guard) before any route is registered, so importing a module has no side effects.
 */
export interface ModuleManifest {
  /** The module's name: `wallets`, `ledger`, `platform.org`. */
  name: string;
  routes?: RoutesFn;
  /** Rows of the permission table: permission → roles allowed. */
  permissions?: Record<string, readonly Role[]>;
  /** The module's error codes and their statuses (`defineErrors`). */
  errors?: Pick<ErrorSet<string>, "statuses" | "codes">;
  /** Webhook event types the module emits (`defineEvents(...).types`). */
  events?: readonly EventType[];
  notices?: readonly NoticeDefinition[];
  // biome-ignore lint/suspicious/noExplicitAny: each file type has its own row type
  imports?: readonly ImportDefinition<any>[];
  // biome-ignore lint/suspicious/noExplicitAny: each file type has its own row type
  exports?: readonly ExportDefinition<any>[];
  /** Background jobs, defined on the job runner before it starts. */
  // biome-ignore lint/suspicious/noExplicitAny: each job has its own data type
  jobs?: (deps: AppDeps) => JobDefinition<any>[];
  /** Housekeeping crons (UTC) of the module's jobs; business schedules live in `job_schedules`. */
  crons?: readonly { name: string; cron: string }[];
  /**
   * The per-tenant form of each clock-driven sweep among the jobs: what advancing a sandbox's
   * test clock runs at each due instant (test/tenant-clock-jobs.test.ts holds every job to it).
   */
  timers?: readonly TenantTimer[];
  /** Rows worth nothing once ended (one-time codes): removed a while after (src/platform/jobs/prune-expired.ts). */
  expiringRows?: readonly ExpiringRows[];
  /** How a member token's member is checked before the token is issued (the members module). */
  memberTokenGuard?: MemberTokenGuard;
  /** Runs when a held balance payment succeeds or is released, in the same unit of work. */
  onBalancePaymentResolved?: BalancePaymentListener;
  /** Runs when a paid balance payment is refunded (all or part), in the same unit of work. */
  onBalancePaymentRefunded?: BalancePaymentRefundListener;
  /** Claims the balance payments its records refund as a whole (refused alone at the wallets). */
  ownsBalancePayments?: BalancePaymentOwnerLookup;
  /** Runs when a bill refund gives value back to the sources of vouchers no longer usable. */
  onVoucherSourcesCredited?: VoucherSourceReturnListener;
  /** Refuses a move of org units that would make the module's records untrue. */
  orgUnitMoveGuard?: OrgUnitMoveGuard;
  /** Names the module's record whose store scope names an org unit or store group (which then cannot be deleted). */
  storeScopeReferences?: StoreScopeReferenceLookup;
  /** Refuses closing a member who still owns something the module holds (a balance). */
  memberCloseGuard?: MemberCloseGuard;
  /** Refuses moving a member to an org unit whose staff should not handle what the module holds for it. */
  memberMoveGuard?: MemberMoveGuard;
  /** Claims the top-ups its own online payments collected (their refund is recorded once, for both). */
  holdsTopupPayments?: TopupPaymentHolderLookup;
  /** Finds its orders a member pays from the balance after a smart top-up (what offers for one count). */
  balanceOrders?: BalanceOrderLookup;
  /** Its online top-ups, listed and exported with every other module's (`GET /v1/topup-intents`). */
  listsOnlineTopups?: OnlineTopupSource;
  /** Whether a member sees one of the module's records that shows this catalog image (GET /v1/images/{id}). */
  showsImagesToMembers?: MemberImageLookup;
}

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
  /**
   * Writes replayed by Idempotency-Key (set on every POST that creates or moves value).
   * `valueRoute` reads it; the app refuses to start a route that sets it without one.
   */
  idempotent?: boolean;
  /**
   * The refusals the route's operation can answer with, beyond the common ones. Each code
   * is listed in the OpenAPI response of its status; an unknown code refuses to start.
   */
  errors?: readonly string[];
}

declare module "fastify" {
  interface FastifyContextConfig extends RouteAccess {}
  interface FastifyRequest {
    /** Set by authentication on every non-public route. */
    actor: Actor;
    /**
     * Where the outside world reaches this service (`VOUCHSAFE_PUBLIC_URL`, else the request's
     * protocol and Host): the origin of every URL handed out for later use.
     */
    readonly publicOrigin: string;
  }
}
