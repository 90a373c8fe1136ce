import { MinusCircleOutlined } from "@ant-design/icons";
import { Form, Space, Typography } from "antd";
import { ImageField } from "../components/ImageField";
import { useI18n } from "../i18n/i18n";

/** The API's limit on an exclusive service's detail images (`maxItems` of `detail_images`). */
export const MAX_DETAIL_IMAGES = 9;

const isLink = (entry: string) => entry.startsWith("https://");

/**
 * An exclusive service's detail images (seed 001 §2.1.2): uploaded images members see under the
 * benefit, in order. Links saved before uploads existed stay as they are until removed.
 */
export function DetailImagesField() {
  const { t } = useI18n();
  return (
    <Form.Item
      name="detail_images"
      label={t("benefits.detailImages")}
      extra={t("benefits.detailImagesHint", { max: MAX_DETAIL_IMAGES })}
    >
      <DetailImageList />
    </Form.Item>
  );
}

function DetailImageList(props: { value?: string[]; onChange?: (next: string[]) => void }) {
  const { t } = useI18n();
  const list = props.value ?? [];
  const set = (next: string[]) => props.onChange?.(next);
  return (
    <Space orientation="vertical" data-testid="detail-images">
      {list.map((entry, i) =>
        isLink(entry) ? (
          <Space key={entry} align="center">
            {/* Named, not drawn: the console loads nothing from hosts the merchant typed in. */}
            <Typography.Text
              data-testid="detail-image-link"
              type="secondary"
              ellipsis
              style={{ maxWidth: 360 }}
            >
              {entry}
            </Typography.Text>
            <MinusCircleOutlined
              aria-label={`${t("common.delete")} ${i + 1}`}
              onClick={() => set(list.filter((_, j) => j !== i))}
            />
          </Space>
        ) : (
          <ImageField
            key={entry}
            purpose="detail"
            previewTestId="detail-image-preview"
            uploadLabel={t("benefits.detailImageReplace", { n: i + 1 })}
            value={entry}
            onChange={(id) =>
              set(id ? list.map((e, j) => (j === i ? id : e)) : list.filter((_, j) => j !== i))
            }
          />
        ),
      )}
      {list.length < MAX_DETAIL_IMAGES ? (
        <ImageField
          purpose="detail"
          uploadLabel={t("benefits.detailImageAdd")}
          value={null}
          onChange={(id) => (id ? set([...list, id]) : undefined)}
        />
      ) : null}
    </Space>
  );
}
