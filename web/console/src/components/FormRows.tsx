import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Form, type FormListFieldData, Space } from "antd";
import type { ReactNode } from "react";
import { useI18n } from "../i18n/i18n";

/** A form field that is a list of rows (denominations, pricing rules): remove per row, add up to `max`. */
export function FormRows(props: {
  name: string;
  label: ReactNode;
  max: number;
  addLabel: string;
  required?: boolean;
  /** Above the rows while there are any (column headings). */
  header?: ReactNode;
  row(field: FormListFieldData, index: number): ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Form.List name={props.name}>
      {(fields, { add, remove }) => (
        <Form.Item label={props.label} required={props.required}>
          {fields.length > 0 ? props.header : null}
          {fields.map((field, i) => (
            <Space key={field.key} align="baseline" wrap>
              {props.row(field, i)}
              <MinusCircleOutlined aria-label={t("common.delete")} onClick={() => remove(field.name)} />
            </Space>
          ))}
          <div>
            <Button
              type="dashed"
              disabled={fields.length >= props.max}
              onClick={() => add({})}
              icon={<PlusOutlined />}
            >
              {props.addLabel}
            </Button>
          </div>
        </Form.Item>
      )}
    </Form.List>
  );
}
