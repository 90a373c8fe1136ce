import fastifyCookie from "@fastify/cookie";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { fullFormats } from "ajv-formats/dist/formats.js";
import Fastify, { type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { OpenAPIV3_1 } from "openapi-types";
import secureJson from "secure-json-parse";
import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "./app-types.js";
import { pendingMigrations } from "./db/migrate.js";
import { ledgerManifest } from "./ledger/index.js";
import { benefitsManifest } from "./modules/benefits/index.js";
import { cashierManifest } from "./modules/cashier/index.js";
import { catalogManifest } from "./modules/catalog/index.js";
import { checkoutManifest } from "./modules/checkout/index.js";
import { depositsManifest } from "./modules/deposits/index.js";
import { enterpriseManifest } from "./modules/enterprise/index.js";
import { giftcardsManifest } from "./modules/giftcards/index.js";
import { memberCenterManifest } from "./modules/membercenter/index.js";
import { membersManifest } from "./modules/members/index.js";
import { packagesManifest } from "./modules/packages/index.js";
import { studentsManifest } from "./modules/students/index.js";
import { topupManifest } from "./modules/topup/index.js";
import { vouchersManifest } from "./modules/vouchers/index.js";
import { walletsManifest } from "./modules/wallets/index.js";
import { auditManifest } from "./platform/audit/audit.routes.js";
import { authenticate, parseBearer } from "./platform/auth/authenticate.js";
import { rolesFor } from "./platform/auth/permissions.js";
import { sha256Hex } from "./platform/auth/secrets.js";
import { sessionPolicy } from "./platform/auth/sessions.js";
import { AttemptLimiter, TooManyAttempts } from "./platform/auth/throttle.js";
import { eventsManifest, openApiWebhooks } from "./platform/events/events.routes.js";
import { filesManifest } from "./platform/files/files.routes.js";
import { foundationManifest } from "./platform/foundation.routes.js";
import { CompiledSchemas, rememberingSerializerFactory } from "./platform/http/compiled-schemas.js";
import { consoleRoutes } from "./platform/http/console.js";
import { countedRoundTrips, HttpMetrics, roundTripsOf } from "./platform/http/metrics.js";
import { describeOperation, nameWebhookOperations } from "./platform/http/openapi.js";
import { bodyMayBeOmitted, markOmittableBodies } from "./platform/http/optional-body.js";
import { answerClientError, problem, sendProblem, toProblem } from "./platform/http/problem.js";
import { checkRouteErrors } from "./platform/http/route-errors.js";
import { Problem } from "./platform/http/schemas.js";
import { noteParsedJson, refuseUnstorableText } from "./platform/http/text-guard.js";
import { isValueRoute } from "./platform/http/value-route.js";
import { jobsManifest } from "./platform/jobs/jobs.routes.js";
import { installManifests } from "./platform/manifests.js";
import { notifyManifest } from "./platform/notify/notify.routes.js";
import { orgManifest } from "./platform/org/org.routes.js";
import { sandboxManifest } from "./platform/sandbox/sandbox.routes.js";
import { tenantClockScope } from "./platform/sandbox/tenant-clock.js";
import { usersManifest } from "./platform/users.routes.js";
import { runInClockScope } from "./shared/clock.js";
import { isDateTime } from "./shared/date-time.js";
import { DomainError } from "./shared/errors.js";
import { newId } from "./shared/ids.js";
import { countRoundTripsOf, RoundTripSampler } from "./shared/round-trips.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Every module of the service, in the order their routes appear in the docs. A new module
 * exports one manifest from its index.ts and is added here; nothing else registers it.
 */
export const MANIFESTS: readonly ModuleManifest[] = [
  foundationManifest,
  orgManifest,
  usersManifest,
  auditManifest,
  eventsManifest,
  notifyManifest,
  filesManifest,
  jobsManifest,
  sandboxManifest,
  ledgerManifest,
  membersManifest,
  walletsManifest,
  vouchersManifest,
  enterpriseManifest,
  benefitsManifest,
  depositsManifest,
  checkoutManifest,
  catalogManifest,
  packagesManifest,
  topupManifest,
  giftcardsManifest,
  memberCenterManifest,
  cashierManifest,
  studentsManifest,
];
type Comparator = (a: string, b: string) => number | undefined;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

type Validator = ReturnType<Ajv["compile"]>;
/** Each route's validators, compiled once per process (see CompiledSchemas): bodies, and the coerced text parts. */
const bodyValidators = new CompiledSchemas<Validator>();
const textValidators = new CompiledSchemas<Validator>();

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    // Bodies are JSON: "5" is not 5. Query strings and params are text and are coerced.
    coerceTypes: coerce ? "array" : false,
    removeAdditional: false,
    useDefaults: true,
    allErrors: true,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  // One definition of a time for the schemas and for the export filters and import cells that
  // ajv never sees, so a file job takes no time the API refuses (see isDateTime).
  const dateTime = fullFormats["date-time"] as { compare: Comparator };
  ajv.addFormat("date-time", { type: "string", validate: isDateTime, compare: dateTime.compare });
  return ajv;
}

/**
 * A member-center link's `code` is a credential until the page trades it (a link preview that
 * runs no script leaves it unused for minutes): the request log shows the URL without it.
 */
const SECRET_QUERY = /([?&]code=)[^&#]*/gi;

function withRedactedUrls(logger: BuildOptions["logger"]): FastifyServerOptions["logger"] {
  if (!logger) return false;
  const options = logger === true ? {} : logger;
  return {
    ...options,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: request.url.replace(SECRET_QUERY, "$1[redacted]"),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
      ...options.serializers,
    },
  };
}

export interface BuildOptions {
  logger?: FastifyServerOptions["logger"];
  /** The modules to serve (default: all of MANIFESTS); tests add one to try a rule. */
  manifests?: readonly ModuleManifest[];
}

/** Every plugin, hook and route of the service; no listen (tests use inject). */
export async function buildApp(deps: AppDeps, options: BuildOptions = {}): Promise<RouteApp> {
  const manifests = options.manifests ?? MANIFESTS;
  installManifests(manifests);
  const app = Fastify({
    logger: withRedactedUrls(options.logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Only the listed proxies' X-Forwarded-For counts: with none, a client could name any
    // address it likes and so slip out of the per-address limits. Fastify walks the header from
    // the right while each hop is trusted, so `request.ip` is the nearest untrusted address.
    trustProxy: deps.config.trustedProxies.length > 0 ? deps.config.trustedProxies : false,
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : newId("req");
    },
    ajv: { customOptions: {} },
    schemaController: { compilersFactory: { buildSerializer: rememberingSerializerFactory } },
    routerOptions: { ignoreTrailingSlash: true },
    // Errors Fastify raises before routing (a URL that does not decode) answer problem+json too.
    frameworkErrors: (error, request, reply) => {
      sendProblem(reply, toProblem(error, request));
    },
    requestTimeout: deps.config.requestTimeoutSeconds * 1000,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Node expects the headers' limit (60 s) within the request's, and swaps the two when it is not
  // (only its constructor checks): Fastify sets the request limit after the server is made, so a
  // request limit under 60 s would have bounded the headers alone.
  app.server.headersTimeout = Math.min(app.server.headersTimeout, deps.config.requestTimeoutSeconds * 1000);

  const bodyAjv = makeAjv(false);
  const textAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === "body"
      ? bodyValidators.get(schema, "", () => bodyAjv.compile(schema as object))
      : textValidators.get(schema, "", () => textAjv.compile(schema as object)),
  );

  // JSON must be valid UTF-8 and must not smuggle prototype keys.
  app.removeContentTypeParser("application/json");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.addContentTypeParser(
    ["application/json", "application/merge-patch+json"],
    { parseAs: "buffer" },
    (_request, body, done) => {
      let text: string;
      try {
        text = utf8.decode(body as Buffer);
      } catch {
        done(new DomainError("invalid_encoding", "The body is not valid UTF-8"), undefined);
        return;
      }
      if (text.trim() === "") {
        done(
          new DomainError("malformed_json", "The body is empty but the content type says JSON"),
          undefined,
        );
        return;
      }
      try {
        const parsed = secureJson.parse(text, undefined, {
          protoAction: "error",
          constructorAction: "error",
        });
        noteParsedJson(parsed, text);
        done(null, parsed);
      } catch {
        done(new DomainError("malformed_json", "The body is not valid JSON"), undefined);
      }
    },
  );

  const publicUrl = deps.config.publicUrl;
  // A getter: worked out only by the few routes that hand out URLs, not on every request.
  app.decorateRequest("publicOrigin", {
    getter(this: FastifyRequest) {
      return publicUrl ?? `${this.protocol}://${this.host}`;
    },
  });

  app.addHook("preValidation", async (request) => {
    // A request with no body at all is one whose every field takes its default, when the
    // route's body has no required field (a refund with no reason); as in Stripe's API.
    if (request.body === undefined && bodyMayBeOmitted(request.routeOptions.schema?.body)) request.body = {};
    refuseUnstorableText({ params: request.params, query: request.query, body: request.body });
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof TooManyAttempts) reply.header("retry-after", String(error.retryAfterSeconds));
    const body = toProblem(error, request);
    if (body.status === 503) reply.header("retry-after", "1");
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, "not_found", `No route ${request.method} ${request.url.split("?")[0]}`)),
  );

  // A sampled request's database round trips are counted (ADR 0011): it runs in a context of
  // its own until its answer is sent, or its connection closes first.
  const roundTripSampler = new RoundTripSampler(deps.config.roundTripSampleMs);
  const releaseRoundTrips = new WeakMap<object, () => void>();
  app.addHook("onRequest", (request, reply, done) => {
    if (!roundTripSampler.shouldCount(`${request.method} ${request.routeOptions.url}`, performance.now())) {
      done();
      return;
    }
    countRoundTripsOf(roundTripsOf(request), (release) => {
      releaseRoundTrips.set(request, release);
      reply.raw.once("close", release);
      done();
    });
  });

  // Once shutdown begins, each answer closes its connection. Otherwise a client's kept-alive
  // connection, busy when the server began closing, holds the drain open until the keep-alive
  // timeout (72 s): longer than the grace period of most process supervisors.
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  const metrics = new HttpMetrics();
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-request-id", request.id);
    if (closing) reply.header("connection", "close");
    return payload;
  });
  app.addHook("onResponse", (request, reply, done) => {
    metrics.observe(
      request.method,
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
      countedRoundTrips(request),
    );
    releaseRoundTrips.get(request)?.();
    done();
  });

  await app.register(fastifyCookie);
  if (deps.config.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      max: deps.config.rateLimitPerMinute,
      timeWindow: 60_000,
      // Per credential when there is one, so one noisy integration can't starve the others. The
      // credential, not the header's spelling ("bearer", extra spaces), which would give the same
      // key a fresh allowance per variant.
      keyGenerator: (request) => {
        const token = parseBearer(request.headers.authorization);
        return token ? `k:${sha256Hex(token)}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        new DomainError("rate_limited", `Too many requests; retry after ${Math.ceil(context.ttl / 1000)} s`),
    });
  }

  app.addSchema(Problem);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      // Every event type a module registered, with its payload: what webhook receivers get.
      webhooks: nameWebhookOperations(
        openApiWebhooks() as Record<string, Record<string, Record<string, unknown>>>,
      ) as Record<string, OpenAPIV3_1.PathItemObject>,
      // Relative, so the document is right behind any host, port or proxy that serves it.
      servers: [{ url: "/", description: "The server that published this document" }],
      info: {
        title: "Vouchsafe API",
        version: "1.0.0",
        description:
          "Member benefits and stored value on a double-entry ledger. Amounts are integers in minor units. " +
          "Errors are RFC 9457 problem+json with a stable `code`. Value-moving POSTs accept `Idempotency-Key`.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "API key or member token" },
          session: { type: "apiKey", in: "cookie", name: "vs_session" },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: describeOperation,
    transformObject: (document) =>
      "openapiObject" in document ? markOmittableBodies(document.openapiObject) : document.swaggerObject,
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });

  const authDeps = {
    db: deps.db,
    clock: deps.clock,
    signingSecret: deps.config.signingSecret,
    sessionPolicy: sessionPolicy(deps.config),
    authFailures: new AttemptLimiter(deps.config.authFailuresPerMinute, deps.clock),
  };
  app.addHook("onRoute", (route) => {
    if (!route.url.startsWith("/v1")) return;
    const access = route.config ?? {};
    if (!access.public && !access.permission && !access.member) {
      throw new Error(`route ${route.method} ${route.url} declares no access (permission, member or public)`);
    }
    if (access.permission && !rolesFor(access.permission)) {
      throw new Error(`route ${route.method} ${route.url} names unknown permission ${access.permission}`);
    }
    if (access.idempotent && !isValueRoute(route.handler)) {
      throw new Error(`route ${route.method} ${route.url} is idempotent but its handler is no valueRoute`);
    }
    checkRouteErrors(route);
    if (access.public) return;
    const existing = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [
      // A sandbox's request runs the rest of its way (operations, the ledger) at its test
      // clock's time. A live tenant's runs in no scope: entering one would turn on promise
      // hooks for the whole process (ADR 0011).
      (request, _reply, done) => {
        authenticate(authDeps, request)
          .then((actor) => {
            request.actor = actor;
            return tenantClockScope(deps.db, actor.tenantId);
          })
          .then(
            (scope) => (scope ? runInClockScope(scope, done) : done()),
            (error: Error) => done(error),
          );
      },
      ...existing,
    ];
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["service"],
        summary: "Liveness: the process answers",
        response: {
          200: Type.Object({ status: Type.Literal("ok") }),
          500: Type.Unsafe({ $ref: "Problem#" }),
        },
      },
    },
    async () => ({ status: "ok" as const }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        tags: ["service"],
        summary: "Readiness: the database answers and no migration is pending",
        response: {
          200: Type.Object({ status: Type.Literal("ready") }),
          503: Type.Unsafe({ $ref: "Problem#" }),
        },
      },
    },
    async (_request, reply) => {
      let pending: string[];
      try {
        pending = await deps.db.systemTx((trx) => pendingMigrations(trx));
      } catch {
        return sendProblem(reply, problem(503, "service_unavailable", "The database is not reachable"));
      }
      if (pending.length > 0) {
        return sendProblem(
          reply,
          problem(503, "service_unavailable", `${pending.length} migrations pending`),
        );
      }
      return { status: "ready" as const };
    },
  );
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    reply.header("content-type", "text/plain; version=0.0.4");
    return metrics.render(deps.db);
  });

  await app.register(consoleRoutes);
  for (const { routes } of manifests) {
    if (routes) await app.register((scope) => routes(scope as RouteApp, deps));
  }
  await app.ready();
  return app as unknown as RouteApp;
}
