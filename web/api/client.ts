/**
 * The only way the web apps reach the API: openapi-fetch typed by the server's own document.
 * Same origin, so the session cookie rides along; writes carry the session's CSRF token.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./openapi.js";

export type { components, paths };
export type Problem = { type?: string; title?: string; status?: number; code?: string; detail?: string };

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
let csrfToken: string | undefined;

/** Set after sign-in (and on reload from GET /v1/sessions/current). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set("x-csrf-token", csrfToken);
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  credentials: "same-origin",
});
api.use(csrf);

/** A fresh Idempotency-Key for one user action (a retry of the same action reuses it). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** Thrown for a non-2xx answer; carries the problem+json body so the UI can show `detail`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** Unwraps an openapi-fetch result: the data, or an ApiError with the problem. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, (error ?? {}) as Problem);
  return data as T;
}
