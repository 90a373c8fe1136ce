import { DownloadOutlined } from "@ant-design/icons";
import { App, Button, Space } from "antd";
import { useState } from "react";
import { unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { type FileFormat, FileFormatSelect } from "./ExportButton";
import { useProblemText } from "./problems";

/** The name the server gave the file (`attachment; filename="…"`), if any. */
function filenameOf(disposition: string | null): string | undefined {
  return disposition ? /filename="?([^";]+)"?/.exec(disposition)?.[1] : undefined;
}

/**
 * Downloads a file an endpoint answers at once (no export job), as CSV or Excel. The file is
 * fetched first, so a refusal (too many rows, a bad filter) is shown as the API's problem
 * instead of being saved as the file.
 */
export function DownloadButton(props: {
  fetchFile(format: FileFormat): Promise<{ data?: Blob; error?: unknown; response: Response }>;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const [format, setFormat] = useState<FileFormat>("csv");
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const call = props.fetchFile(format);
      const blob = await unwrap(call);
      const { response } = await call;
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = filenameOf(response.headers.get("content-disposition")) ?? `export.${format}`;
      link.click();
      // The browser has taken the file once the click is handled; the URL is then only memory.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      message.error(problemText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space.Compact>
      <FileFormatSelect value={format} onChange={setFormat} />
      <Button icon={<DownloadOutlined />} loading={busy} onClick={download}>
        {t("export.button")}
      </Button>
    </Space.Compact>
  );
}
