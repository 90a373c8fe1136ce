import { Button, Space, Typography } from "antd";
import { useRef, useState } from "react";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useProblemText } from "./problems";

/** The purposes an image is uploaded for; a benefit icon has its own route (members read it). */
export type ImagePurpose = "package_cover" | "topup_cover" | "card_design" | "detail";

/** Where an image is uploaded and read back: benefit icons have routes of their own. */
function imageRoutes(purpose: ImagePurpose | "benefit_icon"): {
  upload: (file: File) => Promise<{ id: string }>;
  src: (id: string) => string;
} {
  if (purpose === "benefit_icon") {
    return {
      upload: (file: File) => unwrap(api.POST("/v1/benefit-icons", uploadOptions(file))),
      src: (id: string) => `/v1/benefit-icons/${id}`,
    };
  }
  return {
    upload: (file: File) =>
      unwrap(api.POST("/v1/images", { params: { query: { purpose } }, ...uploadOptions(file) })),
    src: (id: string) => `/v1/images/${id}`,
  };
}

function uploadOptions(file: File) {
  return {
    body: file as never,
    bodySerializer: (body: unknown) => body as BodyInit,
    headers: { "content-type": file.type || "application/octet-stream", "idempotency-key": idempotencyKey() },
  };
}

/**
 * A form field holding an uploaded image's id (a benefit's icon, a package's or top-up plan's
 * cover, a gift card's design): a chosen file is uploaded at once (PNG, JPEG, WebP or SVG; the
 * API checks the content and the size) and the field takes the new id.
 */
export function ImageField(props: {
  purpose: ImagePurpose | "benefit_icon";
  /** The button's words, which also name the hidden file input for assistive technology. */
  uploadLabel: string;
  /** The preview's test id, so tests can tell two image fields of one form apart. */
  previewTestId?: string;
  value?: string | null;
  onChange?: (id: string | null) => void;
}) {
  const { t } = useI18n();
  const problemText = useProblemText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const picker = useRef<HTMLInputElement>(null);
  const routes = imageRoutes(props.purpose);
  const choose = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      const image = await routes.upload(file);
      props.onChange?.(image.id);
    } catch (e) {
      setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };
  // A cover is wider than an icon: it shows as members see it, not squeezed into a square.
  const preview = props.purpose === "benefit_icon" ? { width: 40, height: 40 } : { width: 96, height: 54 };
  return (
    <Space align="center">
      {props.value ? (
        <img
          data-testid={props.previewTestId ?? "image-preview"}
          src={routes.src(props.value)}
          alt=""
          style={{ ...preview, borderRadius: 8, objectFit: "cover", border: "1px solid #eee" }}
        />
      ) : null}
      {/* The browser's own file button speaks the browser's language: ours speaks the console's. */}
      <input
        ref={picker}
        type="file"
        style={{ display: "none" }}
        aria-label={props.uploadLabel}
        accept="image/png,image/jpeg,image/webp,image/svg+xml"
        onChange={(e) => {
          void choose(e.target.files?.[0]);
          e.target.value = "";
        }}
      />
      <Button size="small" loading={busy} onClick={() => picker.current?.click()}>
        {props.uploadLabel}
      </Button>
      {props.value ? (
        <Button size="small" onClick={() => props.onChange?.(null)}>
          {t("image.remove")}
        </Button>
      ) : null}
      {error ? <Typography.Text type="danger">{error}</Typography.Text> : null}
    </Space>
  );
}
