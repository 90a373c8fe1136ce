import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sql } from "kysely";
import { appendRow, type Database, type RowTarget } from "../../db/database.js";
import { realNow } from "../../shared/clock.js";
import { DomainError, statusForCode } from "../../shared/errors.js";
import { sealText, unsealText } from "../../shared/sealed.js";
import { toProblem } from "../http/problem.js";

/** Keys are kept at least this long; the prune job removes older ones. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentResult<B> {
  status: number;
  body: B;
}

/**
 * Stores the response in the same transaction (or unit of work) as the effect, so a crash
 * cannot leave the effect without its key or the key without its effect.
 */
export type Recorder = <B>(target: RowTarget, status: number, body: B) => Promise<IdempotentResult<B>>;

/** Requests with a key currently running in this process: a second one gets 409. */
const inFlight = new Set<string>();

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * What makes two requests "the same". With a caller, a key is bound to the credential that
 * first used it: keys are often order numbers, so another credential (a key scoped to another
 * store, another member's token) guessing one gets 422, never the stored response.
 */
export function requestFingerprint(
  method: string,
  path: string,
  body: unknown,
  caller?: string,
  query?: unknown,
): string {
  const hash = createHash("sha256").update(`${method}\n${path}\n`);
  if (ArrayBuffer.isView(body)) {
    // An upload (an image) is hashed as its bytes: walked as an object, a 2 MiB body is two
    // million keys to sort, holding the event loop for seconds. The NUL marker cannot begin
    // a JSON text, so no JSON body shares this fingerprint.
    hash.update("\u0000bytes\u0000").update(body as Uint8Array);
  } else {
    hash.update(JSON.stringify(canonical(body ?? null)));
  }
  if (caller !== undefined) hash.update(`\n${caller}`);
  // The query is part of the request (an upload's purpose): the same key with another query
  // is another request. Left out when empty, so requests without one keep their fingerprint.
  if (query && typeof query === "object" && Object.keys(query).length > 0) {
    hash.update(`\n?${JSON.stringify(canonical(query))}`);
  }
  return hash.digest("hex");
}

function readKey(request: FastifyRequest): string | undefined {
  const raw = request.headers["idempotency-key"];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || !KEY_PATTERN.test(key)) {
    throw new DomainError("validation_failed", "Idempotency-Key must be 1-255 visible ASCII characters", {
      errors: [{ field: "/headers/idempotency-key", message: "must be 1-255 visible ASCII characters" }],
    });
  }
  return key;
}

interface StoredResponse {
  request_hash: string;
  response_status: number;
  response_body: unknown;
  response_sealed: string | null;
}

/**
 * Stored answers are sealed: some show a secret once (a gift card's PIN, a new API key's
 * secret) and are kept for a day for replays, so the table (and its backups) must not hold
 * them readable. Bound to the tenant and key, so a sealed answer copied to another row does
 * not open. All answers are sealed, so no route can forget to declare that it shows a secret.
 */
const SEAL_PURPOSE = "idempotency-responses";
const sealAad = (tenantId: string, key: string) => `${tenantId}\u0000${key}`;

/** What a key needs besides the database: the clock, and the secret its answers are sealed with. */
export interface IdempotencyDeps {
  db: Database;
  clock: { now(): Date };
  config: { signingSecret: string };
}

/** The stored answer for a key: one round trip (a read-only snapshot), as every keyed request asks first. */
async function findStored(db: Database, tenantId: string, key: string): Promise<StoredResponse | undefined> {
  const [rows] = await db.tenantRead(tenantId, [
    {
      text: "select request_hash, response_status, response_body, response_sealed from idempotency_keys where tenant_id = $1::text and key = $2::text",
      values: [tenantId, key],
    },
  ]);
  return rows?.[0] as StoredResponse | undefined;
}

function replay<B>(
  reply: FastifyReply,
  fingerprint: string,
  stored: StoredResponse,
  opened: { secret: string; tenantId: string; key: string },
): B {
  if (stored.request_hash !== fingerprint) {
    throw new DomainError(
      "idempotency_key_reused",
      "This Idempotency-Key was used with a different request or by another credential; use a new key for a new request",
    );
  }
  let body = stored.response_body;
  if (stored.response_sealed !== null) {
    const plain = unsealText(
      opened.secret,
      SEAL_PURPOSE,
      sealAad(opened.tenantId, opened.key),
      stored.response_sealed,
    );
    if (plain === undefined) {
      // Sealed under another signing secret (it was changed within the retention period). The
      // request did take effect: running it again would repeat it, and inventing an answer
      // would be wrong, so the caller is told to look the result up instead.
      throw new DomainError(
        "idempotency_replay_unavailable",
        "A request with this Idempotency-Key was already processed, but its answer can no longer be read (the server's signing secret changed); it was not repeated. Look its result up, or use a new key for a new request",
      );
    }
    body = JSON.parse(plain);
  }
  reply.header("idempotent-replayed", "true");
  reply.status(stored.response_status);
  if (stored.response_status >= 400) {
    reply.header("content-type", "application/problem+json; charset=utf-8");
  }
  return body as B;
}

function isUniqueViolationOnKeys(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === "23505" && e.constraint === "idempotency_keys_pkey";
}

/**
 * Stripe's semantics for `Idempotency-Key`: the same key and the same request replay the
 * first response (`Idempotent-Replayed: true`); the same key with another request is 422
 * `idempotency_key_reused`; the same key while the first is still running is 409
 * `idempotency_request_in_progress`. Business refusals (4xx domain errors) are stored and
 * replayed too, so a retry never turns a refusal into a success; validation failures,
 * refusals about the moment (`retryLater`: something else is under way on the object) and 5xx
 * are not stored, so the client can fix or wait and retry.
 */
export async function runIdempotent<B>(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: IdempotencyDeps,
  effect: (record: Recorder) => Promise<IdempotentResult<B>>,
): Promise<B> {
  const key = readKey(request);
  const tenantId = request.actor.tenantId;
  const noKey: Recorder = async (_target, status, body) => ({ status, body });
  if (key === undefined) {
    const result = await effect(noKey);
    reply.status(result.status);
    return result.body;
  }
  const path = request.url.split("?")[0] ?? request.url;
  const caller = `${request.actor.type}:${request.actor.id}`;
  const fingerprint = requestFingerprint(request.method, path, request.body, caller, request.query);
  const slot = `${tenantId}\u0000${key}`;
  if (inFlight.has(slot)) {
    throw new DomainError(
      "idempotency_request_in_progress",
      "A request with this Idempotency-Key is still being processed; retry shortly",
    );
  }
  inFlight.add(slot);
  const opened = { secret: deps.config.signingSecret, tenantId, key };
  try {
    const stored = await findStored(deps.db, tenantId, key);
    if (stored) return replay<B>(reply, fingerprint, stored, opened);

    const record: Recorder = async (target, status, body) => {
      await appendRow(target, "idempotency_keys", {
        tenant_id: tenantId,
        key,
        request_hash: fingerprint,
        method: request.method,
        path,
        response_status: status,
        response_sealed: sealText(opened.secret, SEAL_PURPOSE, sealAad(tenantId, key), JSON.stringify(body)),
        // Real time, in a sandbox too: the retention is counted and pruned on it. A sandbox's
        // time (frozen days back, or moved years ahead) would have its keys pruned within the
        // hour, so a retry ran again, or kept for years.
        created_at: realNow(deps.clock),
      });
      return { status, body };
    };
    try {
      const result = await effect(record);
      reply.status(result.status);
      return result.body;
    } catch (error) {
      if (isUniqueViolationOnKeys(error)) {
        // Another process committed the same key first: answer as its replay would.
        const winner = await findStored(deps.db, tenantId, key);
        if (winner) return replay<B>(reply, fingerprint, winner, opened);
      }
      if (error instanceof DomainError && error.code !== "validation_failed" && !error.retryLater) {
        const status = statusForCode(error.code);
        if (status >= 400 && status < 500) {
          const body = { ...toProblem(error, request), request_id: request.id };
          // The refusal is stored, so a retry replays it rather than running again.
          const stored = await deps.db
            .tenantTx(tenantId, (trx) => record(trx, status, body))
            .then(
              () => true,
              () => false,
            );
          if (!stored) {
            // A copy of this request in another process may have committed first, and this
            // copy been refused because of what it did (the balance it spent): a unique
            // violation says so, and a lost connection leaves it open. Answer as the first
            // did; with no first, the refusal stands (not stored: a retry runs it again). If
            // that cannot be read, this throws: the outcome is unknown, and the caller
            // retries with its key rather than take a refusal its twin contradicts.
            const winner = await findStored(deps.db, tenantId, key);
            if (winner) return replay<B>(reply, fingerprint, winner, opened);
          }
        }
      }
      throw error;
    }
  } finally {
    inFlight.delete(slot);
  }
}

/** Removes keys older than the retention period across all tenants; returns how many. */
export async function pruneIdempotencyKeys(db: Database, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3_600_000);
  return db.systemTx(async (trx) => {
    const result = await sql`delete from idempotency_keys where created_at < ${cutoff}`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  });
}
