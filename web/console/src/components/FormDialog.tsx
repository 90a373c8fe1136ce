import { Modal } from "antd";
import type { ReactNode } from "react";
import { useI18n } from "../i18n/i18n";
import { FieldErrors, ProblemAlert } from "./problems";

/**
 * A create or edit form in a dialog: Save and Cancel, the API's refusal and the fields it names
 * above the form, and a form that starts afresh each time the dialog opens.
 */
export function FormDialog(props: {
  open: boolean;
  title: ReactNode;
  onSave: () => void;
  onCancel: () => void;
  error: unknown;
  width?: number;
  /** A long form scrolls inside the dialog, so its title and Save stay in view. */
  scrollBody?: boolean;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Modal
      open={props.open}
      title={props.title}
      onOk={props.onSave}
      onCancel={props.onCancel}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      destroyOnHidden
      width={props.width}
      styles={
        props.scrollBody
          ? { body: { maxHeight: "calc(100vh - 200px)", overflowY: "auto", paddingRight: 8 } }
          : undefined
      }
    >
      <ProblemAlert error={props.error} />
      <FieldErrors error={props.error} />
      {props.children}
    </Modal>
  );
}
