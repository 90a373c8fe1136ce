import type * as Sdk from "@alicloud/dysmsapi20170525";
import type { $OpenApiUtil } from "@alicloud/openapi-core";
import { loadOnce } from "../../shared/load-once.js";
import { LogSmsAdapter, type SmsAdapter } from "./notifier.js";

/**
 * Aliyun SMS (Dysmsapi 2017-05-25 `SendSms`) through Aliyun's own SDK, which signs each
 * request (ACS3-HMAC-SHA256). Aliyun sends only approved templates, so the notice's rendered
 * text goes into one template variable: the tenant registers a template whose whole content
 * is `${content}` (the variable's name is configurable).
 */
export interface AliyunSmsConfig {
  accessKeyId: string;
  accessKeySecret: string;
  /** The approved signature ("签名") shown before every message. */
  signName: string;
  templateCode: string;
  /** The template variable that carries the text (default `content`). */
  templateParam: string;
  /** `dysmsapi.aliyuncs.com` unless a test points it at a local fake. */
  endpoint: string;
  protocol: "HTTPS" | "HTTP";
}

/**
 * Aliyun's refusals that no retry mends: the number, the signature or the template is wrong, or
 * the credentials are. Anything else (flow control, a busy or unreachable gateway, an empty
 * balance that may be topped up) is retried by the notifier.
 */
const PERMANENT_CODES = new Set([
  "isv.MOBILE_NUMBER_ILLEGAL",
  "isv.MOBILE_COUNT_OVER_LIMIT",
  "isv.SMS_SIGNATURE_ILLEGAL",
  "isv.SMS_TEMPLATE_ILLEGAL",
  "isv.TEMPLATE_MISSING_PARAMETERS",
  "isv.INVALID_PARAMETERS",
  "isv.INVALID_JSON_PARAM",
  "isv.PARAM_LENGTH_LIMIT",
  "isv.BLACK_KEY_CONTROL_LIMIT",
  "isv.DENY_IP_RANGE",
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId.NotFound",
  "InvalidAccessKeyId.Inactive",
]);

/** A send refused by Aliyun (its `Code`: `isv.BUSINESS_LIMIT_CONTROL`, `SignatureDoesNotMatch`, …). */
export class SmsRefused extends Error {
  /** Read by the notifier: a permanent refusal fails the delivery at once, others are retried. */
  readonly permanent: boolean;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`SMS refused: ${code} ${message}`);
    this.permanent = PERMANENT_CODES.has(code);
  }
}

type Module = typeof Sdk.default;
type SmsClient = InstanceType<Module["default"]>;

/** The SDK's classes, loaded when the first message is sent (see `loadOnce`). */
const loadSdk = loadOnce(async () => {
  const [loaded, core] = await Promise.all([
    import("@alicloud/dysmsapi20170525"),
    import("@alicloud/openapi-core"),
  ]);
  // The SDK is CommonJS: Node's loader puts the client class at `default.default` and the
  // request class at `default`; vitest's interop lifts both one level.
  const sdk = ((loaded as { default?: unknown }).default ?? loaded) as Module | Module["default"];
  return {
    Client: (typeof sdk === "function" ? sdk : sdk.default) as Module["default"],
    SendSmsRequest: ((loaded as unknown as Module).SendSmsRequest ??
      (sdk as Module).SendSmsRequest) as Module["SendSmsRequest"],
    Config: (core as { $OpenApiUtil: typeof $OpenApiUtil }).$OpenApiUtil.Config,
  };
});

export class AliyunSmsAdapter implements SmsAdapter {
  private client: SmsClient | undefined;

  constructor(private readonly config: AliyunSmsConfig) {}

  async send(to: string, text: string): Promise<void> {
    const { Client, SendSmsRequest, Config } = await loadSdk();
    this.client ??= new Client(
      new Config({
        accessKeyId: this.config.accessKeyId,
        accessKeySecret: this.config.accessKeySecret,
        endpoint: this.config.endpoint,
        protocol: this.config.protocol,
        // A notice must not hold a job for long: the notifier records the failure instead.
        connectTimeout: 5_000,
        readTimeout: 10_000,
      }),
    );
    let body: { code?: string; message?: string } | undefined;
    try {
      const response = await this.client.sendSms(
        new SendSmsRequest({
          phoneNumbers: to,
          signName: this.config.signName,
          templateCode: this.config.templateCode,
          templateParam: JSON.stringify({ [this.config.templateParam]: text }),
        }),
      );
      body = response.body;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      throw new SmsRefused(e.code ?? "request_failed", e.message ?? String(error));
    }
    if (body?.code !== "OK") throw new SmsRefused(body?.code ?? "no_answer", body?.message ?? "");
  }
}

/** Aliyun when configured; the log-only adapter (development) otherwise. */
export function smsAdapterFor(config: { aliyunSms: AliyunSmsConfig | undefined }): SmsAdapter {
  return config.aliyunSms ? new AliyunSmsAdapter(config.aliyunSms) : new LogSmsAdapter();
}
