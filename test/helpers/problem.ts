import { expect } from "vitest";

export interface InjectedResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Asserts an RFC 9457 problem+json answer with this status and code; returns its body. */
export function expectProblem(response: InjectedResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(String(response.headers["content-type"])).toContain("application/problem+json");
  const body = JSON.parse(response.body) as { status: number; code: string; detail: string };
  expect(body).toMatchObject({ status, code, detail: expect.any(String) });
  return body;
}
