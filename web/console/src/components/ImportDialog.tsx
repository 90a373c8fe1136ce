import { UploadOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Modal, Progress, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { ProblemAlert } from "./problems";

type FileJob = components["schemas"]["FileJob"];
type Mode = "all_or_nothing" | "skip_bad_rows";

const MIME: Record<string, string> = {
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/**
 * An import: template download, upload, progress, row errors and the import history. The
 * file goes up as the request body; the job is checked row by row in the background.
 */
export function ImportButton(props: { type: string; onDone?(): void }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File>();
  const [mode, setMode] = useState<Mode>("all_or_nothing");
  const [jobId, setJobId] = useState<string>();
  const [error, setError] = useState<unknown>();
  const job = useQuery({
    queryKey: ["import", jobId],
    enabled: Boolean(jobId),
    queryFn: () => unwrap(api.GET("/v1/imports/{id}", { params: { path: { id: jobId! } } })),
    refetchInterval: (q) =>
      q.state.data && ["queued", "running"].includes(q.state.data.status) ? 500 : false,
  });
  const history = useQuery({
    queryKey: ["imports", props.type, job.data?.status],
    enabled: open,
    queryFn: () => unwrap(api.GET("/v1/imports", { params: { query: { type: props.type, limit: 10 } } })),
  });
  if (!can("POST /v1/imports")) return null;
  const upload = async () => {
    if (!file) return;
    setError(undefined);
    setJobId(undefined);
    const format = file.name.toLowerCase().endsWith(".xlsx") ? "xlsx" : "csv";
    try {
      const created = await unwrap(
        api.POST("/v1/imports", {
          params: { query: { type: props.type, mode } },
          body: file as never,
          bodySerializer: (body: unknown) => body as BodyInit,
          headers: { "content-type": MIME[format]! },
        }),
      );
      setJobId(created.id);
    } catch (e) {
      setError(e);
    }
  };
  const data = job.data;
  if (data?.status === "succeeded") void client.invalidateQueries({ queryKey: ["members"] });
  return (
    <>
      <Button icon={<UploadOutlined />} onClick={() => setOpen(true)}>
        {t("import.button")}
      </Button>
      <Modal
        open={open}
        width={720}
        title={t("import.title")}
        onCancel={() => setOpen(false)}
        footer={<Button onClick={() => setOpen(false)}>{t("common.close")}</Button>}
      >
        <Space orientation="vertical" style={{ width: "100%" }}>
          <Space>
            <Typography.Text>{t("import.template")}</Typography.Text>
            <a href={`/v1/import-types/${props.type}/template?format=csv`} download>
              CSV
            </a>
            <a href={`/v1/import-types/${props.type}/template?format=xlsx`} download>
              Excel
            </a>
          </Space>
          <Space>
            <label>
              <span style={{ marginRight: 8 }}>{t("import.file")}</span>
              <input
                type="file"
                accept=".csv,.xlsx"
                onChange={(e) => setFile(e.target.files?.[0] ?? undefined)}
              />
            </label>
            <Select<Mode>
              aria-label={t("import.mode")}
              value={mode}
              onChange={setMode}
              style={{ width: 200 }}
              options={[
                { value: "all_or_nothing", label: t("import.mode.all_or_nothing") },
                { value: "skip_bad_rows", label: t("import.mode.skip_bad_rows") },
              ]}
            />
            <Button type="primary" disabled={!file} onClick={upload}>
              {t("import.upload")}
            </Button>
          </Space>
          <ProblemAlert error={error ?? job.error} />
          {data ? (
            <>
              <Typography.Text>{t(`export.status.${data.status}`)}</Typography.Text>
              <Progress
                percent={data.status === "succeeded" ? 100 : (data.progress.percent ?? 0)}
                status={data.status === "failed" ? "exception" : undefined}
              />
              {data.error ? <Typography.Text type="danger">{data.error}</Typography.Text> : null}
              {data.errors.length > 0 ? (
                <Table
                  data-testid="row-errors"
                  size="small"
                  rowKey={(e) => `${e.row}-${e.column}-${e.message}`}
                  pagination={false}
                  dataSource={data.errors}
                  columns={[
                    { title: t("import.row"), dataIndex: "row", width: 80 },
                    { title: t("import.column"), dataIndex: "column", width: 140, render: (v) => v ?? "—" },
                    { title: t("import.error"), dataIndex: "message" },
                  ]}
                />
              ) : null}
            </>
          ) : null}
          <Typography.Title level={5}>{t("import.history")}</Typography.Title>
          <Table<FileJob>
            size="small"
            rowKey="id"
            pagination={false}
            loading={history.isFetching}
            dataSource={history.data?.data ?? []}
            columns={[
              { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
              {
                title: t("common.status"),
                dataIndex: "status",
                render: (s: FileJob["status"]) => <Tag>{t(`export.status.${s}`)}</Tag>,
              },
              { title: t("import.rows"), key: "rows", render: (_, j) => fmt.number(j.progress.rows_done) },
              { title: t("import.failedRows"), dataIndex: "rows_failed" },
            ]}
          />
        </Space>
      </Modal>
    </>
  );
}
