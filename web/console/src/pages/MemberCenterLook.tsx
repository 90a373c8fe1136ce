import { useQuery } from "@tanstack/react-query";
import { App, Avatar, Button, Card, Col, Form, Input, Row, Space, Typography } from "antd";
import { useState } from "react";
import { DEFAULT_BRAND_COLOR } from "../../../api/branding";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { PageHeader } from "../components/Page";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

interface Draft {
  brand_color?: string;
  logo_url?: string;
}
const HEX = /^#[0-9a-fA-F]{6}$/;

/** The member center's logo and colour, with a live preview and a link to the real page. */
export default function MemberCenterLook() {
  const { t } = useI18n();
  const { tenant, can } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm<Draft>();
  const [error, setError] = useState<unknown>();
  const settings = useQuery({
    queryKey: ["member-center-settings"],
    queryFn: () => unwrap(api.GET("/v1/member-center-settings")),
  });
  const color = Form.useWatch("brand_color", form);
  const logo = Form.useWatch("logo_url", form);
  const save = async (v: Draft) => {
    setError(undefined);
    try {
      await unwrap(
        api.PUT("/v1/member-center-settings", {
          body: { brand_color: v.brand_color || null, logo_url: v.logo_url || null },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      message.success(t("settings.saved"));
      await settings.refetch();
    } catch (e) {
      setError(e);
    }
  };
  const previewColor = color && HEX.test(color) ? color : DEFAULT_BRAND_COLOR;
  const previewUrl = `/m/${tenant.id}/`;
  return (
    <>
      <PageHeader
        title={t("nav.memberCenter")}
        extra={
          <Button href={previewUrl} target="_blank" rel="noopener">
            {t("look.openPreview")}
          </Button>
        }
      />
      <Row gutter={16}>
        <Col span={12}>
          <Card title={t("look.branding")} loading={settings.isPending}>
            <ProblemAlert error={error ?? settings.error} />
            {settings.data ? (
              <Form<Draft>
                name="member-center-look"
                form={form}
                layout="vertical"
                disabled={!can("PUT /v1/member-center-settings")}
                initialValues={{
                  brand_color: settings.data.brand_color ?? "",
                  logo_url: settings.data.logo_url ?? "",
                }}
                onFinish={save}
              >
                <Form.Item
                  name="brand_color"
                  label={t("look.color")}
                  extra={t("look.colorHelp")}
                  rules={[{ pattern: HEX, message: t("look.colorInvalid") }]}
                >
                  <Input placeholder={DEFAULT_BRAND_COLOR} maxLength={7} />
                </Form.Item>
                <Form.Item
                  name="logo_url"
                  label={t("look.logo")}
                  extra={t("look.logoHelp")}
                  rules={[{ max: 1024 }]}
                >
                  <Input placeholder="https://…" />
                </Form.Item>
                <Button type="primary" htmlType="submit">
                  {t("common.save")}
                </Button>
              </Form>
            ) : null}
          </Card>
        </Col>
        <Col span={12}>
          <Card title={t("look.preview")}>
            <div
              data-testid="look-preview"
              style={{ width: 320, border: "1px solid #f0f0f0", borderRadius: 12, overflow: "hidden" }}
            >
              <div style={{ background: previewColor, color: "#fff", padding: "14px 16px" }}>
                <Space>
                  <Avatar src={logo || undefined} style={{ background: "rgba(255,255,255,.25)" }}>
                    {tenant.name.slice(0, 1)}
                  </Avatar>
                  <Typography.Text strong style={{ color: "#fff" }}>
                    {tenant.name}
                  </Typography.Text>
                </Space>
              </div>
              <div style={{ padding: 16 }}>
                <Typography.Text type="secondary">{t("look.sample")}</Typography.Text>
                <div style={{ marginTop: 12 }}>
                  <Button type="primary" style={{ background: previewColor }} tabIndex={-1}>
                    {t("look.sampleButton")}
                  </Button>
                </div>
              </div>
            </div>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
              {t("look.previewNote")} <Typography.Text code>{previewUrl}</Typography.Text>
            </Typography.Paragraph>
          </Card>
        </Col>
      </Row>
    </>
  );
}
