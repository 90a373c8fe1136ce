import { assert } from "../../shared/assert.js";
import type { Locale } from "../tenants.js";

/**
 * Every notice a module sends is declared once here (by the module's manifest) with
 * default templates in every locale and an optional cap. Tenants may override a template
 * per locale and channel; variables are written `{{name}}`.
 */
export interface NoticeTemplate {
  subject: string;
  body: string;
}

export interface NoticeDefinition {
  type: string;
  description: string;
  /** At most `max` notices of this type per recipient key per window (day: tenant's calendar day). */
  cap?: { max: number; window: "hour" | "day" };
  templates: Record<Locale, NoticeTemplate>;
}

const notices = new Map<string, NoticeDefinition>();

export function defineNotice(definition: NoticeDefinition): void {
  const existing = notices.get(definition.type);
  if (existing === definition) return;
  assert(!existing, `notice ${definition.type} defined twice`);
  assert(definition.cap === undefined || definition.cap.max >= 1, "a cap allows at least one notice");
  notices.set(definition.type, definition);
}

export function noticeDefinition(type: string): NoticeDefinition | undefined {
  return notices.get(type);
}

export function noticeCatalog(): NoticeDefinition[] {
  return [...notices.values()].sort((a, b) => a.type.localeCompare(b.type));
}

const VARIABLE = /\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g;
export const MAX_TEMPLATE_CHARS = 10_000;

/** Replaces `{{name}}` with the variable's text; unknown variables become empty. */
export function render(text: string, vars: Record<string, string | number>): string {
  return text.replace(VARIABLE, (_m, name: string) => (name in vars ? String(vars[name]) : ""));
}

defineNotice({
  type: "webhook_endpoint.disabled",
  description: "A webhook endpoint failed for more than a day and was disabled",
  templates: {
    en: {
      subject: "Webhook endpoint disabled",
      body: "Deliveries to {{url}} kept failing, so the endpoint was disabled. Fix the receiver, enable the endpoint and re-send the failed deliveries.",
    },
    "zh-CN": {
      subject: "Webhook 端点已停用",
      body: "发往 {{url}} 的推送持续失败，该端点已被停用。请修复接收方后重新启用端点，并重发失败的推送。",
    },
  },
});

defineNotice({
  type: "deposit.balance_low",
  description: "A deposit account's balance fell below its warning threshold",
  cap: { max: 4, window: "day" },
  templates: {
    en: {
      subject: "Balance low: {{account_name}}",
      body: "The balance of {{account_name}} is {{balance}}, below the warning threshold of {{threshold}}. Top up to keep your campaigns running.",
    },
    "zh-CN": {
      subject: "余额不足提醒：{{account_name}}",
      body: "账户 {{account_name}} 当前余额为 {{balance}}，已低于预警值 {{threshold}}。请及时充值，以免推广活动暂停。",
    },
  },
});

defineNotice({
  type: "file_job.finished",
  description: "An import or export finished",
  templates: {
    en: {
      subject: "Your {{kind}} of {{type}} has {{status}}",
      body: "The {{kind}} {{id}} ({{type}}) has {{status}}: {{rows}} rows.",
    },
    "zh-CN": {
      subject: "{{type}} {{kind}}任务{{status}}",
      body: "{{kind}}任务 {{id}}（{{type}}）{{status}}，共 {{rows}} 行。",
    },
  },
});
