import { useQueryClient } from "@tanstack/react-query";
import { Button, Card, Form, Input, Select, Typography } from "antd";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { LANGS, type Lang, type MessageKey, useI18n } from "../i18n/i18n";

const LAST_TENANT = "vouchsafe.tenant";

interface Credentials {
  tenant_id: string;
  email: string;
  password: string;
}

/** Sign-in with a console user; `?tenant=` (printed by `npm start`) or the last one fills the tenant. */
export function SignIn() {
  const { t, lang, setLang } = useI18n();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const tenant =
    new URLSearchParams(location.search).get("tenant") ?? localStorage.getItem(LAST_TENANT) ?? "";
  const submit = async (values: Credentials) => {
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(api.POST("/v1/sessions", { body: values }));
      localStorage.setItem(LAST_TENANT, values.tenant_id);
      await client.invalidateQueries({ queryKey: ["session"] });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main style={{ minHeight: "100vh", display: "grid", placeItems: "center", background: "#f5f7fb" }}>
      <Card style={{ width: 400 }}>
        <div
          style={{ display: "flex", justifyContent: "space-between", alignItems: "center", marginBottom: 16 }}
        >
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t("signIn.title")}
          </Typography.Title>
          <Select<Lang>
            aria-label={t("shell.language")}
            value={lang}
            onChange={setLang}
            style={{ width: 110 }}
            options={LANGS.map((l) => ({ value: l, label: t(`lang.${l}` as MessageKey) }))}
          />
        </div>
        <Typography.Paragraph type="secondary">{t("signIn.subtitle")}</Typography.Paragraph>
        <ProblemAlert error={error} />
        <Form<Credentials>
          name="sign-in"
          layout="vertical"
          onFinish={submit}
          initialValues={{ tenant_id: tenant }}
        >
          <Form.Item name="tenant_id" label={t("signIn.tenant")} rules={[{ required: true }]}>
            <Input autoComplete="organization" />
          </Form.Item>
          <Form.Item name="email" label={t("signIn.email")} rules={[{ required: true }]}>
            <Input type="email" autoComplete="username" />
          </Form.Item>
          <Form.Item name="password" label={t("signIn.password")} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t("signIn.submit")}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
