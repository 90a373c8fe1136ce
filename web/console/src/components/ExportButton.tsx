import { DownloadOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Button, Modal, Progress, Select, Space, Typography } from "antd";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { ProblemAlert } from "./problems";

export type FileFormat = "csv" | "xlsx";

/** The file format picker beside an export or download button. */
export function FileFormatSelect(props: { value: FileFormat; onChange(format: FileFormat): void }) {
  const { t } = useI18n();
  return (
    <Select<FileFormat>
      aria-label={t("export.format")}
      value={props.value}
      onChange={props.onChange}
      options={[
        { value: "csv", label: "CSV" },
        { value: "xlsx", label: "Excel" },
      ]}
      style={{ width: 90 }}
    />
  );
}

export function useExportJob(id: string | undefined) {
  return useQuery({
    queryKey: ["export", id],
    enabled: Boolean(id),
    queryFn: () => unwrap(api.GET("/v1/exports/{id}", { params: { path: { id: id! } } })),
    refetchInterval: (q) =>
      q.state.data && ["queued", "running"].includes(q.state.data.status) ? 500 : false,
  });
}

/** Starts an export job of the list as filtered, follows its progress and offers the file. */
export function ExportButton(props: {
  type: string;
  filters?: Record<string, string | undefined>;
  /** The export checks its filters against an org-bound caller's subtree (others are tenant-wide). */
  scoped?: boolean;
}) {
  const { t } = useI18n();
  const { can, user } = useSession();
  const [format, setFormat] = useState<FileFormat>("csv");
  const [open, setOpen] = useState(false);
  const [jobId, setJobId] = useState<string>();
  const [error, setError] = useState<unknown>();
  const job = useExportJob(jobId);
  if (!can("POST /v1/exports") || (user.org_unit_id && !props.scoped)) return null;
  const start = async () => {
    setError(undefined);
    setJobId(undefined);
    setOpen(true);
    const filters = Object.fromEntries(
      Object.entries(props.filters ?? {}).filter((e): e is [string, string] => Boolean(e[1])),
    );
    try {
      const created = await unwrap(api.POST("/v1/exports", { body: { type: props.type, format, filters } }));
      setJobId(created.id);
    } catch (e) {
      setError(e);
    }
  };
  const data = job.data;
  return (
    <>
      <Space.Compact>
        <FileFormatSelect value={format} onChange={setFormat} />
        <Button icon={<DownloadOutlined />} onClick={start}>
          {t("export.button")}
        </Button>
      </Space.Compact>
      <Modal
        open={open}
        title={t("export.title")}
        onCancel={() => setOpen(false)}
        footer={<Button onClick={() => setOpen(false)}>{t("common.close")}</Button>}
      >
        <ProblemAlert error={error ?? job.error} />
        {data ? (
          <Space orientation="vertical" style={{ width: "100%" }}>
            <Typography.Text>{t(`export.status.${data.status}`)}</Typography.Text>
            <Progress
              percent={data.status === "succeeded" ? 100 : (data.progress.percent ?? 0)}
              status={data.status === "failed" ? "exception" : undefined}
            />
            {data.error ? <Typography.Text type="danger">{data.error}</Typography.Text> : null}
            {data.file ? (
              <a href={data.file.download_url} download={data.file.name}>
                {t("export.download", { name: data.file.name })}
              </a>
            ) : null}
          </Space>
        ) : null}
      </Modal>
    </>
  );
}
