import { Alert, Typography } from "antd";
import { ApiError } from "../../../api/client";
import { CATALOGS, type MessageKey, useI18n } from "../i18n/i18n";

/**
 * What went wrong, in the user's language: a translated message for the problem codes the
 * catalogs know, otherwise the API's own `detail`. `detail` is the API's own words when the
 * message is a translation and they say more (the amount that can still be refunded, the
 * voucher's reason), so that the translation does not hide them.
 */
function problemText(
  error: unknown,
  lang: keyof typeof CATALOGS,
  t: (key: MessageKey) => string,
): { message: string; detail?: string } {
  if (error instanceof ApiError) {
    const { code, detail, title } = error.problem;
    const key = `problem.${code}` as MessageKey;
    if (code && key in CATALOGS[lang]) {
      const message = t(key);
      return detail && detail !== message ? { message, detail } : { message };
    }
    return { message: detail ?? title ?? t("common.failed") };
  }
  return { message: error instanceof Error ? error.message : t("common.failed") };
}

/** The message alone, for a one-line notice. */
export function useProblemText() {
  const { t, lang } = useI18n();
  return (error: unknown): string => problemText(error, lang, t).message;
}

export function ProblemAlert({ error }: { error: unknown }) {
  const { t, lang } = useI18n();
  if (!error) return null;
  const { message, detail } = problemText(error, lang, t);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={message}
      {...(detail ? { description: <span data-testid="problem-detail">{detail}</span> } : {})}
      style={{ marginBottom: 16 }}
    />
  );
}

/** The API's per-field reasons under its refusal (`errors` of the problem): which field to fix. */
export function FieldErrors({ error }: { error: unknown }) {
  const errors =
    error instanceof ApiError
      ? ((error.problem as { errors?: { field: string; message: string }[] }).errors ?? [])
      : [];
  if (errors.length === 0) return null;
  return (
    <ul data-testid="field-errors" style={{ marginTop: -8, marginBottom: 16, paddingLeft: 20 }}>
      {errors.map((e) => (
        <li key={`${e.field} ${e.message}`}>
          <Typography.Text code>{e.field.replace(/^\/body\//, "")}</Typography.Text> {e.message}
        </li>
      ))}
    </ul>
  );
}
