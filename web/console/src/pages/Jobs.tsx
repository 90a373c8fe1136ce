import { useQuery } from "@tanstack/react-query";
import { App, Button, Table, Typography } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { ProblemAlert, useProblemText } from "../components/problems";
import { useI18n } from "../i18n/i18n";

type FailedJob = components["schemas"]["FailedJob"];

export default function Jobs() {
  const { t, fmt } = useI18n();
  const { modal, message } = App.useApp();
  const problemText = useProblemText();
  const jobs = useQuery({
    queryKey: ["failed-jobs"],
    queryFn: () => unwrap(api.GET("/v1/jobs/failed", { params: { query: { limit: 100 } } })),
  });
  const retry = (job: FailedJob) =>
    modal.confirm({
      title: t("jobs.retryConfirm", { name: job.name }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      onOk: async () => {
        try {
          await unwrap(api.POST("/v1/jobs/{id}/retry", { params: { path: { id: job.id } } }));
          message.success(t("jobs.retried"));
          await jobs.refetch();
        } catch (e) {
          message.error(problemText(e));
        }
      },
    });
  return (
    <>
      <Typography.Title level={3}>{t("nav.jobs")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("jobs.subtitle")}</Typography.Paragraph>
      <ProblemAlert error={jobs.error} />
      <Table<FailedJob>
        rowKey="id"
        loading={jobs.isFetching}
        dataSource={jobs.data?.data ?? []}
        pagination={false}
        locale={{ emptyText: t("jobs.none") }}
        columns={[
          { title: t("jobs.name"), dataIndex: "name" },
          {
            title: t("jobs.error"),
            dataIndex: "error",
            ellipsis: true,
            render: (v) => (typeof v === "string" ? v : JSON.stringify(v)),
          },
          { title: t("jobs.retries"), dataIndex: "retry_count" },
          { title: t("jobs.failedAt"), dataIndex: "failed_at", render: (v) => fmt.dateTime(v) },
          {
            key: "retry",
            render: (_, job) => (
              <Button size="small" onClick={() => retry(job)}>
                {t("jobs.retry")}
              </Button>
            ),
          },
        ]}
      />
    </>
  );
}
