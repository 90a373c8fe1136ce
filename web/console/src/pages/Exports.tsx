import { Progress, Tag, Typography } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { CATALOGS, useI18n } from "../i18n/i18n";

type FileJob = components["schemas"]["FileJob"];

export default function Exports() {
  const { t, fmt, lang } = useI18n();
  const catalog: Readonly<Record<string, string>> = CATALOGS[lang];
  return (
    <>
      <Typography.Title level={3}>{t("nav.exports")}</Typography.Title>
      <CursorTable<FileJob>
        queryKey={["exports"]}
        fetchPage={(cursor) => unwrap(api.GET("/v1/exports", { params: { query: cursor } }))}
        columns={[
          {
            title: t("exports.type"),
            dataIndex: "type",
            render: (type: string) => catalog[`exports.kind.${type}`] ?? type,
          },
          { title: t("export.format"), dataIndex: "format", render: (f: string) => f.toUpperCase() },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: FileJob["status"], j) => (
              <>
                <Tag color={s === "failed" ? "red" : undefined}>{t(`export.status.${s}`)}</Tag>
                {s === "failed" && (j.error_code || j.error) ? (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {(j.error_code && catalog[`exports.failure.${j.error_code}`]) ?? j.error}
                  </Typography.Text>
                ) : null}
              </>
            ),
          },
          {
            title: t("exports.progress"),
            key: "progress",
            render: (_, j) => (
              <Progress size="small" percent={j.status === "succeeded" ? 100 : (j.progress.percent ?? 0)} />
            ),
          },
          { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            key: "download",
            render: (_, j) =>
              j.file ? (
                <a href={j.file.download_url} download={j.file.name}>
                  {t("export.download", { name: j.file.name })}
                </a>
              ) : null,
          },
        ]}
      />
    </>
  );
}
