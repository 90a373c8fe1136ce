import { Button, Card, Form, Space, Typography } from "antd";
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { useI18n } from "../i18n/i18n";

/** A page's title with its actions on the right. */
export function PageHeader(props: { title: ReactNode; extra?: ReactNode }) {
  return (
    <Space style={{ justifyContent: "space-between", width: "100%", marginBottom: 16 }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {props.title}
      </Typography.Title>
      {props.extra}
    </Space>
  );
}

/**
 * A detail page's title: the list it belongs to, as a link back, then the object's name. The link
 * is underlined: in a heading its colour alone is 2.5:1 against the name's, too close to tell
 * it is a link (WCAG 1.4.1).
 */
export function DetailTitle(props: { list: string; to: string; name: ReactNode }) {
  return (
    <>
      <Link to={props.to} style={{ textDecoration: "underline", textUnderlineOffset: 4 }}>
        {props.list}
      </Link>{" "}
      / {props.name}
    </>
  );
}

/** A list's filters: the fields as children, a Search button, values handed to onSearch. */
export function FilterBar<V extends object>(props: {
  name: string;
  initialValues: Partial<V>;
  onSearch(values: V): void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Card size="small" style={{ marginBottom: 16 }}>
      <Form<V>
        name={props.name}
        layout="inline"
        initialValues={props.initialValues}
        onFinish={props.onSearch}
      >
        {props.children}
        <Button type="primary" htmlType="submit">
          {t("common.search")}
        </Button>
      </Form>
    </Card>
  );
}
