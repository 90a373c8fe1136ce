import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Space } from "antd";
import { api, unwrap } from "../../../api/client";
import type { MessageKey } from "../i18n/format";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { ProblemAlert } from "./problems";
import { useConfirmedSend } from "./ValueDialog";

/** Steps an operator rehearses most: the deposit re-check, the next day, the invoicing wait. */
const STEPS: { key: MessageKey; ms: number }[] = [
  { key: "sandbox.plus20m", ms: 20 * 60_000 },
  { key: "sandbox.plus1d", ms: 86_400_000 },
  { key: "sandbox.plus15d", ms: 15 * 86_400_000 },
];

/**
 * A sandbox tenant's banner: its test clock, and (for those who may) buttons that advance it,
 * running every job and timeout that falls due on the way. Live tenants never see it.
 */
export function TestClockBar() {
  const { t, fmt } = useI18n();
  const { tenant, can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const { error, confirmThenSend } = useConfirmedSend();
  const clock = useQuery({
    queryKey: ["test-clock"],
    queryFn: () => unwrap(api.GET("/v1/test-clock")),
    enabled: tenant.sandbox && can("GET /v1/test-clock"),
  });
  if (!tenant.sandbox) return null;
  const now = clock.data ? new Date(clock.data.now) : undefined;
  const advance = (ms: number) => {
    if (!now) return;
    const to = new Date(now.getTime() + ms).toISOString();
    confirmThenSend(t("sandbox.confirm", { to: fmt.dateTime(to) }), async (key) => {
      const done = await unwrap(
        api.POST("/v1/test-clock/advance", { body: { to }, headers: { "idempotency-key": key } }),
      );
      message.success(
        t(done.advance.complete ? "sandbox.advanced" : "sandbox.partly", {
          now: fmt.dateTime(done.now),
          steps: done.advance.steps,
        }),
      );
      await client.invalidateQueries();
    });
  };
  return (
    <>
      <Alert
        type="warning"
        banner
        data-testid="sandbox-banner"
        title={
          <Space wrap>
            <strong>{t("sandbox.banner")}</strong>
            <span>
              {now
                ? t(clock.data?.status === "running" ? "sandbox.clockRunning" : "sandbox.clockFrozen", {
                    now: fmt.dateTime(now.toISOString()),
                  })
                : null}
            </span>
            {now && can("POST /v1/test-clock/advance")
              ? STEPS.map((step) => (
                  <Button key={step.key} size="small" onClick={() => advance(step.ms)}>
                    {t(step.key)}
                  </Button>
                ))
              : null}
          </Space>
        }
      />
      {error ? <ProblemAlert error={error} /> : null}
    </>
  );
}
