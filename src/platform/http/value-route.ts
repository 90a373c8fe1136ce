import type { FastifyReply, FastifyRequest, FastifySchema } from "fastify";
import type { Static, TSchema } from "typebox";
import type { RouteAccess, RouteApp } from "../../app-types.js";
import type { Database } from "../../db/database.js";
import type { Ledger, UnitOfWork } from "../../ledger/index.js";
import type { Clock } from "../../shared/clock.js";
import type { RequestContext } from "../auth/actor.js";
import { type Recorder, runIdempotent } from "../idempotency/idempotency.js";

/**
 * The one way a route moves value: parse the request → run one operation in one unit of
 * work → answer. The route's `idempotent` flag decides whether the answer is stored with its
 * Idempotency-Key in that same unit (a crash leaves both or neither), and replayed.
 *
 *   valueRoute(app, deps, {
 *     method: "POST", url: "/v1/members/:id/withdrawals",
 *     config: { permission: "wallets.operate", idempotent: true, errors: ["insufficient_balance"] },
 *     schema: { tags, summary, params, body, response },
 *     status: 201,
 *     input: (request) => ({ memberId: request.params.id, ...request.body }),
 *     op: withdrawOffline,
 *     respond: (result, uow, input, now) => operationView(uow, input.memberId, result.change_id, now),
 *   });
 */
export interface ValueRouteDeps {
  db: Database;
  clock: Clock;
  ledger: Ledger;
  /** Stored answers are sealed with a key derived from the signing secret (src/platform/idempotency). */
  config: { signingSecret: string };
}

/** Every operation has this signature: the unit of work, who asks, what, and when. */
export type Operation<I, R> = (uow: UnitOfWork, ctx: RequestContext, input: I, now: Date) => Promise<R>;

type StaticOf<T> = T extends TSchema ? Static<T> : unknown;

/** The request as the route's schema types it (params, body, querystring). */
export type RequestOf<S> = FastifyRequest & {
  params: StaticOf<S extends { params: infer P } ? P : undefined>;
  body: StaticOf<S extends { body: infer B } ? B : undefined>;
  query: StaticOf<S extends { querystring: infer Q } ? Q : undefined>;
};

export interface ValueRouteSpec<S, I, R, B> {
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  config: RouteAccess;
  schema: S;
  /** The status of a success: 201 when something is created, 200 otherwise (or as the result says). */
  status: 200 | 201 | ((result: R) => 200 | 201);
  /**
   * Checks that refuse before the Idempotency-Key is consulted (the caller may not act on
   * this resource at all): like a validation failure, their refusal is not stored.
   */
  guard?: (request: RequestOf<S>, ctx: RequestContext, now: Date) => void | Promise<void>;
  /** The route's own body limit, when it takes more than the app's (an upload). */
  bodyLimit?: number;
  /**
   * The operation's input from the request. It runs inside the idempotency check but before
   * the unit of work: the place for reads that must not hold the unit's locks, or for a call
   * to an outside provider whose answer the operation records.
   */
  input: (request: RequestOf<S>, ctx: RequestContext, now: Date) => I | Promise<I>;
  op: Operation<I, R>;
  /** The response, in the same unit (so it sees what the operation left and is stored with the key). */
  respond: (result: R, uow: UnitOfWork, input: I, now: Date) => B | Promise<B>;
  /** Accounts to lock up front for the whole batch (see `RunOptions.lock`). */
  lock?: (input: I) => string[];
  /**
   * `false`: the unit runs in its own tenant transaction instead of joining the ledger's
   * group commit (routes that move no value and take tree-wide locks, such as org units).
   */
  batched?: boolean;
  /**
   * The operation decides only through the ledger (`RunOptions.ledgerOnly`): its batches may
   * be evaluated on the state the tenant's committing batches leave (ADR 0009).
   */
  ledgerOnly?: boolean;
  /** Runs once the unit has committed (not on a replay): deliveries that must not roll back with it. */
  after?: (result: R, ctx: RequestContext, now: Date) => Promise<void>;
}

const VALUE_ROUTE = Symbol("valueRoute");

/** Whether a handler came from `valueRoute` (the app refuses idempotent routes that did not). */
export function isValueRoute(handler: unknown): boolean {
  return typeof handler === "function" && VALUE_ROUTE in handler;
}

export function contextOf(request: FastifyRequest): RequestContext {
  return { actor: request.actor, requestId: request.id };
}

/** Registers a value-moving route (see above). */
export function valueRoute<S extends FastifySchema, I, R, B>(
  app: RouteApp,
  deps: ValueRouteDeps,
  spec: ValueRouteSpec<S, I, R, B>,
): void {
  app.route({
    method: spec.method,
    url: spec.url,
    config: spec.config,
    schema: spec.schema,
    ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
    handler: valueHandler(deps, spec) as never,
  });
}

/** The handler of a value route; `valueRoute` registers it. */
export function valueHandler<S, I, R, B>(
  deps: ValueRouteDeps,
  spec: Omit<ValueRouteSpec<S, I, R, B>, "method" | "url" | "config" | "schema" | "bodyLimit">,
): (request: RequestOf<S>, reply: FastifyReply) => Promise<B> {
  const handler = async (request: RequestOf<S>, reply: FastifyReply): Promise<B> => {
    const ctx = contextOf(request);
    const tenantId = ctx.actor.tenantId;
    if (spec.guard) await spec.guard(request, ctx, deps.clock.now());
    let done: { result: R; now: Date } | undefined;
    const effect = async (record: Recorder) => {
      const now = deps.clock.now();
      const input = await spec.input(request, ctx, now);
      const unit = async (uow: UnitOfWork) => {
        const result = await spec.op(uow, ctx, input, now);
        const body = await spec.respond(result, uow, input, now);
        done = { result, now };
        return record(uow, typeof spec.status === "function" ? spec.status(result) : spec.status, body);
      };
      if (spec.batched === false) {
        return deps.db.tenantTx(tenantId, (trx) => deps.ledger.unitWithin(trx, tenantId, unit));
      }
      return deps.ledger.run(tenantId, unit, {
        ...(spec.lock ? { lock: spec.lock(input) } : {}),
        ledgerOnly: spec.ledgerOnly === true,
      });
    };
    let body: B;
    if (request.routeOptions.config.idempotent) {
      body = await runIdempotent(request, reply, deps, effect);
    } else {
      const answer = await effect(async (_target, status, b) => ({ status, body: b }));
      reply.status(answer.status);
      body = answer.body;
    }
    if (spec.after && done) await spec.after(done.result, ctx, done.now);
    return body;
  };
  return Object.assign(handler, { [VALUE_ROUTE]: true });
}
