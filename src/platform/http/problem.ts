import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { DomainError, type FieldError, statusForCode } from "../../shared/errors.js";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  423: "Locked",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  request_id?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): ProblemBody {
  return {
    type: `https://vouchsafe.dev/problems/${code}`,
    title: TITLES[status] ?? "Error",
    status,
    code,
    detail,
    ...extra,
  };
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
  keyword?: string;
  /** Set when the key itself failed (`propertyNames`): the error is about the key, not a value. */
  propertyName?: string;
}

const pointerToken = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

function fieldErrors(error: FastifyError): FieldError[] {
  const list = (error.validation ?? []) as AjvLikeError[];
  const context = error.validationContext ?? "body";
  // A key that fails `propertyNames` comes twice: once as what is wrong with the key (named by
  // `propertyName`), once as "property name must be valid" on its object; the first says it all.
  const namedKeys = new Set(list.filter((v) => v.propertyName !== undefined).map((v) => v.instancePath));
  const said = (v: AjvLikeError) => v.keyword === "propertyNames" && namedKeys.has(v.instancePath);
  return list
    .filter((v) => !said(v))
    .map((v) => {
      let field = `/${context}${v.instancePath ?? ""}`;
      let message = v.message ?? "is invalid";
      if (v.propertyName !== undefined) {
        field = `${field}/${pointerToken(v.propertyName)}`;
        message = `as a key ${message}`;
      } else if (v.keyword === "additionalProperties" && v.params?.additionalProperty) {
        field = `${field}/${pointerToken(String(v.params.additionalProperty))}`;
        message = "is not a known field";
      } else if (v.keyword === "required" && v.params?.missingProperty) {
        field = `${field}/${pointerToken(String(v.params.missingProperty))}`;
        message = "is required";
      }
      return { field, message };
    });
}

/**
 * A write naming an org unit that another transaction deleted after this one had found it (the
 * unit was still there when read; the foreign key check then waited for the delete to commit).
 * Every row that names an org unit refers to it by foreign key, so this one check covers them
 * all: the request meets a unit that is gone, as it would had it come a moment later.
 */
function isMissingOrgUnitReference(error: unknown): boolean {
  const e = error as { code?: unknown; detail?: unknown } | null;
  return (
    e?.code === "23503" &&
    typeof e.detail === "string" &&
    e.detail.endsWith('is not present in table "org_units".')
  );
}

/** node-postgres's own errors for a connection that is gone or could not be had. */
const LOST_CONNECTION =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/**
 * The database could not be reached, or ended the session (a restart, a failover, too many
 * connections): the request did not complete as far as it knows, and the same request may be
 * sent again, with its Idempotency-Key (a payment whose COMMIT's answer was lost is then found
 * or run, once). Only errors of the database's connection: a refused or reset socket of a
 * connect, read or write, PostgreSQL's connection-exception class (08), its shutdown and
 * recovery codes (57P01-57P03), a session it ended for idling (57P05, 25P03: a process that
 * stalled mid-transaction), too_many_connections (53300), and node-postgres's own.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown; syscall?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  if (/^08[0-9A-Z]{3}$/.test(code) || ["57P01", "57P02", "57P03", "57P05", "25P03", "53300"].includes(code))
    return true;
  if (code === "ECONNRESET" || code === "EPIPE") return true;
  if (["ECONNREFUSED", "ENOENT", "ETIMEDOUT", "EHOSTUNREACH"].includes(code)) return e?.syscall === "connect";
  return code === "" && typeof e?.message === "string" && LOST_CONNECTION.test(e.message);
}

/** Maps anything thrown in a request to problem+json; nothing internal leaks. */
export function toProblem(error: unknown, request: FastifyRequest): ProblemBody {
  if (error instanceof DomainError) {
    const status = statusForCode(error.code);
    return problem(status, error.code, error.message, {
      ...(error.extra ?? {}),
      ...(error.errors ? { errors: error.errors } : {}),
    });
  }
  const fe = error as FastifyError;
  if (fe?.validation) {
    const errors = fieldErrors(fe);
    return problem(
      400,
      "validation_failed",
      `The request is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`,
      {
        errors,
      },
    );
  }
  switch (fe?.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem(413, "payload_too_large", "The request body is larger than allowed");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problem(415, "unsupported_media_type", "Send application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problem(400, "malformed_json", "The body is empty but the content type says JSON");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return problem(400, "malformed_json", "The body is not valid JSON");
    case "FST_ERR_BAD_URL":
      return problem(400, "malformed_url", "The URL has an invalid percent-encoding or is not valid UTF-8");
  }
  if (isMissingOrgUnitReference(error)) {
    return problem(404, "org_unit_not_found", "The org unit this request names was removed while it ran");
  }
  if (isDatabaseUnreachable(error)) {
    return problem(
      503,
      "service_unavailable",
      "The service cannot reach what this request needs for a moment; send it again (with the same Idempotency-Key)",
    );
  }
  if (fe?.statusCode === 429) return problem(429, "rate_limited", "Too many requests; retry later");
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem(
      fe.statusCode,
      fe.statusCode === 404 ? "not_found" : "bad_request",
      "The request could not be processed",
    );
  }
  request.log.error({ err: error, request_id: request.id }, "unhandled error");
  return problem(
    500,
    "internal_error",
    "Something went wrong on our side; the request id identifies it in our logs",
  );
}

/**
 * What Node's HTTP parser refused before any request existed (a request not received in time,
 * headers past 16 KiB, bytes that are not HTTP), as problem+json written on the socket, which
 * is then closed; a socket already gone is left.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [code, detail] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? ["request_timeout", "The request was not received in time; send it again"]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? ["headers_too_large", "The request's headers are larger than 16 KiB"]
        : ["bad_request", "The request is not valid HTTP"];
  const status = statusForCode(code);
  if (socket.writable) {
    const body = JSON.stringify(problem(status, code, detail));
    socket.write(
      `HTTP/1.1 ${status} ${TITLES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  return reply
    .status(body.status)
    .header("content-type", "application/problem+json; charset=utf-8")
    .send(JSON.stringify({ ...body, request_id: reply.request.id }));
}
