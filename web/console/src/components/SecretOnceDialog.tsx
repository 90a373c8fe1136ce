import { Alert, Button, Modal, Typography } from "antd";

/**
 * A secret the API shows once (a new key): a warning that it cannot be seen again, the secret
 * ready to copy, and a button to close once it is copied.
 */
export function SecretOnceDialog(props: {
  secret: string | undefined;
  title: string;
  warning: string;
  done: string;
  testId: string;
  onClose: () => void;
}) {
  return (
    <Modal
      open={Boolean(props.secret)}
      destroyOnHidden
      title={props.title}
      onCancel={props.onClose}
      footer={<Button onClick={props.onClose}>{props.done}</Button>}
    >
      <Alert type="warning" showIcon title={props.warning} style={{ marginBottom: 12 }} />
      <Typography.Paragraph copyable={{ text: props.secret }} code data-testid={props.testId}>
        {props.secret}
      </Typography.Paragraph>
    </Modal>
  );
}
