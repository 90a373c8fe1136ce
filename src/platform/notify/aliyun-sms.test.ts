import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config.js";
import { AliyunSmsAdapter, type AliyunSmsConfig, SmsRefused, smsAdapterFor } from "./aliyun-sms.js";
import { LogSmsAdapter } from "./notifier.js";

/**
 * The Aliyun SMS adapter against a local fake of Dysmsapi's HTTP API that checks every
 * request's ACS3-HMAC-SHA256 signature the way Aliyun does, and refuses a bad one.
 */
const SECRET = "fake-secret-0123456789";
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
// RFC 3986: encodeURIComponent leaves !'()* alone; Aliyun's canonical form encodes them.
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Received {
  query: Record<string, string>;
  action: string | undefined;
}
const received: Received[] = [];
let answer: Record<string, string> = { Code: "OK", Message: "OK" };

/** Recomputes the signature from the request; null when it matches, else why not. */
function signatureProblem(req: http.IncomingMessage, body: Buffer, url: URL): string | null {
  const auth = String(req.headers.authorization ?? "");
  const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(
    auth,
  );
  if (!match) return "no ACS3-HMAC-SHA256 authorization";
  const [, keyId, signed, signature] = match as unknown as [string, string, string, string];
  if (keyId !== "LTAI-test-key") return "unknown access key";
  const headers = signed.split(";");
  for (const required of [
    "host",
    "x-acs-action",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
  ]) {
    if (!headers.includes(required)) return `${required} not signed`;
  }
  if (req.headers["x-acs-content-sha256"] !== sha256(body)) return "body hash mismatch";
  const query = [...url.searchParams.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join("&");
  const canonical = [
    req.method,
    url.pathname,
    query,
    headers.map((h) => `${h}:${String(req.headers[h] ?? "").trim()}\n`).join(""),
    signed,
    sha256(body),
  ].join("\n");
  const expected = createHmac("sha256", SECRET)
    .update(`ACS3-HMAC-SHA256\n${sha256(canonical)}`)
    .digest("hex");
  return timingSafeEqual(Buffer.from(expected), Buffer.from(signature)) ? null : "signature mismatch";
}

let server: http.Server;
let config: AliyunSmsConfig;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://fake");
      const problem = signatureProblem(req, body, url);
      res.setHeader("content-type", "application/json");
      if (problem) {
        res.statusCode = 400;
        res.end(JSON.stringify({ Code: "SignatureDoesNotMatch", Message: problem, RequestId: "r0" }));
        return;
      }
      received.push({
        query: Object.fromEntries(url.searchParams.entries()),
        action: req.headers["x-acs-action"] as string | undefined,
      });
      res.end(JSON.stringify({ ...answer, BizId: "biz-1", RequestId: "r1" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  config = {
    accessKeyId: "LTAI-test-key",
    accessKeySecret: SECRET,
    signName: "Vouchsafe",
    templateCode: "SMS_465000001",
    templateParam: "content",
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    protocol: "HTTP",
  };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("Aliyun SMS adapter", () => {
  it("sends SendSms with the signature, the template and the text in its variable, signed", async () => {
    answer = { Code: "OK", Message: "OK" };
    const text = "李雷，您好：您的学生身份将于 2026-09-01 到期 (renew!)";
    await new AliyunSmsAdapter(config).send("13800000001", text);
    expect(received.at(-1)).toEqual({
      action: "SendSms",
      query: {
        PhoneNumbers: "13800000001",
        SignName: "Vouchsafe",
        TemplateCode: "SMS_465000001",
        TemplateParam: JSON.stringify({ content: text }),
      },
    });
  });

  it("fails when the secret is wrong: the fake refuses the signature and nothing is sent", async () => {
    const before = received.length;
    const error = await new AliyunSmsAdapter({ ...config, accessKeySecret: "not-the-secret" })
      .send("13800000001", "hi")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsRefused);
    expect((error as SmsRefused).code).toBe("SignatureDoesNotMatch");
    // Wrong credentials stay wrong: the notifier fails the delivery instead of retrying it.
    expect((error as SmsRefused).permanent).toBe(true);
    expect(received.length).toBe(before);
  });

  it("fails when Aliyun answers with a business refusal", async () => {
    answer = { Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发分钟级流控" };
    const error = await new AliyunSmsAdapter(config).send("13800000001", "hi").catch((e: unknown) => e);
    expect([(error as SmsRefused).code, error instanceof SmsRefused]).toEqual([
      "isv.BUSINESS_LIMIT_CONTROL",
      true,
    ]);
    // Flow control passes: the notifier tries again later.
    expect((error as SmsRefused).permanent).toBe(false);
  });
});

describe("choosing the SMS adapter from the environment", () => {
  it("uses Aliyun only when every ALIYUN_SMS_* setting is there, and the log otherwise", () => {
    const env = {
      ALIYUN_SMS_ACCESS_KEY_ID: "LTAI-test-key",
      ALIYUN_SMS_ACCESS_KEY_SECRET: SECRET,
      ALIYUN_SMS_SIGN_NAME: "Vouchsafe",
      ALIYUN_SMS_TEMPLATE_CODE: "SMS_465000001",
    };
    const configured = loadConfig(env);
    expect(configured.aliyunSms).toMatchObject({
      endpoint: "dysmsapi.aliyuncs.com",
      templateParam: "content",
    });
    expect(smsAdapterFor(configured)).toBeInstanceOf(AliyunSmsAdapter);
    expect(smsAdapterFor(loadConfig({}))).toBeInstanceOf(LogSmsAdapter);
    expect(() => loadConfig({ ALIYUN_SMS_ACCESS_KEY_ID: "LTAI-test-key" })).toThrow(ConfigError);
  });
});
