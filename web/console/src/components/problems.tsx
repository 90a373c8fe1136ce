import { Alert, Typography } from "antd";
import { ApiError } from "../../../api/client";
import { CATALOGS, type MessageKey, useI18n } from "../i18n/i18n";

/**
 * What went wrong, in the user's language: a translated message for the problem codes the
 * catalogs know, otherwise the API's own `detail`.
 */
export function useProblemText() {
  const { t, lang } = useI18n();
  return (error: unknown): string => {
    if (error instanceof ApiError) {
      const key = `problem.${error.problem.code}` as MessageKey;
      if (error.problem.code && key in CATALOGS[lang]) return t(key);
      return error.problem.detail ?? error.problem.title ?? t("common.failed");
    }
    return error instanceof Error ? error.message : t("common.failed");
  };
}

export function ProblemAlert({ error }: { error: unknown }) {
  const text = useProblemText();
  if (!error) return null;
  return <Alert type="error" showIcon role="alert" title={text(error)} style={{ marginBottom: 16 }} />;
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
