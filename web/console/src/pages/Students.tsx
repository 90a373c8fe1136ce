import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Col,
  Form,
  Image,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Radio,
  Row,
  Select,
  Space,
  Statistic,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, idempotencyKey, type paths, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { ProblemAlert } from "../components/problems";
import { refreshQueries } from "../components/refreshQueries";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type Verification =
  paths["/v1/student-verifications/{id}"]["get"]["responses"][200]["content"]["application/json"];
type Settings = paths["/v1/student-settings"]["get"]["responses"][200]["content"]["application/json"];
type Status = Verification["status"];
const STATUSES: Status[] = ["pending", "approved", "rejected", "expired", "superseded"];
const COLORS: Record<Status, string> = {
  pending: "gold",
  approved: "green",
  rejected: "red",
  expired: "default",
  superseded: "default",
};

/** Cumulative and yesterday's figures, in the tenant's zone. */
function StudentDashboard() {
  const { t } = useI18n();
  const dash = useQuery({
    queryKey: ["student-dashboard"],
    queryFn: () => unwrap(api.GET("/v1/student-dashboard")),
  });
  const d = dash.data;
  const cards = [
    { key: "current", label: t("students.current"), value: d?.current_students },
    {
      key: "share",
      label: t("students.share"),
      value: d ? `${(d.share_basis_points / 100).toFixed(2)}%` : undefined,
    },
    { key: "new", label: t("students.newYesterday"), value: d?.yesterday.new_students },
    { key: "expired", label: t("students.expiredYesterday"), value: d?.yesterday.expired_students },
  ];
  return (
    <>
      <ProblemAlert error={dash.error} />
      <Row gutter={16}>
        {cards.map((c) => (
          <Col span={6} key={c.key}>
            <Card size="small" loading={dash.isPending} data-testid={`student-${c.key}`}>
              <Statistic title={c.label} value={c.value ?? "—"} />
            </Card>
          </Col>
        ))}
      </Row>
      {d ? (
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {t("students.dashboardNote", { members: d.members, date: d.yesterday.date, zone: d.timezone })}
        </Typography.Paragraph>
      ) : null}
    </>
  );
}

/** The review queue: pending oldest first; approve, or reject with a reason. */
function ReviewQueue() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [status, setStatus] = useState<Status>("pending");
  const [error, setError] = useState<unknown>();
  const [rejecting, setRejecting] = useState<Verification>();
  const [photo, setPhoto] = useState<Verification>();
  const [form] = Form.useForm<{ reason: string }>();
  const mayReview = can("POST /v1/student-verifications/{id}/approve");
  const refresh = () => refreshQueries(client, ["student-verifications", "student-dashboard"]);
  const approve = async (v: Verification) => {
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/student-verifications/{id}/approve", {
          params: { path: { id: v.id } },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      message.success(t("students.approved"));
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  const reject = async () => {
    const { reason } = await form.validateFields();
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/student-verifications/{id}/reject", {
          params: { path: { id: rejecting!.id } },
          body: { reason },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      setRejecting(undefined);
      form.resetFields();
      message.success(t("students.rejected"));
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Typography.Text>{t("common.status")}</Typography.Text>
        <Select<Status>
          aria-label={t("common.status")}
          value={status}
          style={{ width: 160 }}
          onChange={setStatus}
          options={STATUSES.map((s) => ({ value: s, label: t(`students.status.${s}` as MessageKey) }))}
        />
      </Space>
      <ProblemAlert error={error} />
      <CursorTable<Verification>
        queryKey={["student-verifications", status]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/student-verifications", { params: { query: { ...cursor, status } } }))
        }
        columns={[
          {
            title: t("students.member"),
            dataIndex: "member_id",
            render: (id: string, v) => <Link to={`/members/${id}`}>{v.member_name ?? id}</Link>,
          },
          { title: t("students.school"), dataIndex: "school" },
          { title: t("students.number"), dataIndex: "student_number" },
          { title: t("students.graduation"), dataIndex: "graduation_date" },
          { title: t("students.submittedAt"), dataIndex: "submitted_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Status, v) => (
              <Space orientation="vertical" size={0}>
                <Tag color={COLORS[s]}>{t(`students.status.${s}` as MessageKey)}</Tag>
                {v.valid_until ? (
                  <Typography.Text type="secondary">
                    {t("students.until", { date: fmt.dateTime(v.valid_until) })}
                  </Typography.Text>
                ) : null}
                {v.reject_reason ? (
                  <Typography.Text type="secondary">{v.reject_reason}</Typography.Text>
                ) : null}
              </Space>
            ),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, v) => (
              <Space>
                <Button size="small" onClick={() => setPhoto(v)}>
                  {t("students.viewId")}
                </Button>
                {mayReview && v.status === "pending" ? (
                  <>
                    <Popconfirm
                      title={t("students.approveConfirm")}
                      okText={t("common.confirm")}
                      cancelText={t("common.cancel")}
                      onConfirm={() => approve(v)}
                    >
                      <Button size="small" type="primary">
                        {t("students.approve")}
                      </Button>
                    </Popconfirm>
                    <Button size="small" danger onClick={() => setRejecting(v)}>
                      {t("students.reject")}
                    </Button>
                  </>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={rejecting !== undefined}
        title={t("students.reject")}
        onOk={reject}
        onCancel={() => setRejecting(undefined)}
        okText={t("students.reject")}
        cancelText={t("common.cancel")}
        destroyOnHidden
      >
        <Form name="reject-student" form={form} layout="vertical">
          <Form.Item name="reason" label={t("students.reason")} rules={[{ required: true, max: 500 }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        open={photo !== undefined}
        title={t("students.viewId")}
        footer={null}
        onCancel={() => setPhoto(undefined)}
      >
        {photo ? (
          <Image alt={t("students.viewId")} src={`/v1/student-verifications/${photo.id}/image`} />
        ) : null}
      </Modal>
    </>
  );
}

interface SettingsDraft {
  validity_count: number;
  validity_unit: Settings["validity"]["unit"];
  reminder_days_before: number;
  title: string;
  body: string;
  image_ids: string[];
  package_ids: string[];
  student_tag?: string;
  student_group?: string;
  gift_kind: "none" | "voucher" | "voucher_package";
  gift_id?: string;
  gift_rule: Settings["gift_rule"];
}

function draftOf(s: Settings): SettingsDraft {
  const gift = s.gift as { kind: SettingsDraft["gift_kind"]; template_id?: string; package_id?: string };
  return {
    validity_count: s.validity.count,
    validity_unit: s.validity.unit,
    reminder_days_before: s.reminder_days_before,
    title: s.page.title,
    body: s.page.body,
    image_ids: s.page.image_ids,
    package_ids: s.page.package_ids,
    student_tag: s.student_tag ?? undefined,
    student_group: s.student_group ?? undefined,
    gift_kind: gift.kind,
    gift_id: gift.template_id ?? gift.package_id,
    gift_rule: s.gift_rule,
  };
}

function giftOf(d: SettingsDraft): Settings["gift"] {
  if (d.gift_kind === "voucher") return { kind: "voucher", template_id: d.gift_id ?? "", quantity: 1 };
  if (d.gift_kind === "voucher_package") return { kind: "voucher_package", package_id: d.gift_id ?? "" };
  return { kind: "none" };
}

/** Every student ID setting on one form with one save. */
function StudentSettings() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>();
  const settings = useQuery({
    queryKey: ["student-settings"],
    queryFn: () => unwrap(api.GET("/v1/student-settings")),
  });
  const labels = (path: "/v1/member-tags" | "/v1/member-groups") =>
    unwrap(api.GET(path, { params: { query: { limit: 100 } } })).then((p) =>
      (p.data as { code: string; name: string }[]).map((l) => ({
        value: l.code,
        label: `${l.name} (${l.code})`,
      })),
    );
  const tags = useQuery({ queryKey: ["member-tags", "options"], queryFn: () => labels("/v1/member-tags") });
  const groups = useQuery({
    queryKey: ["member-groups", "options"],
    queryFn: () => labels("/v1/member-groups"),
  });
  const [form] = Form.useForm<SettingsDraft>();
  const giftKind = Form.useWatch("gift_kind", form);
  const save = async (d: SettingsDraft) => {
    setError(undefined);
    try {
      await unwrap(
        api.PUT("/v1/student-settings", {
          body: {
            validity: { count: d.validity_count, unit: d.validity_unit },
            reminder_days_before: d.reminder_days_before,
            page: {
              title: d.title ?? "",
              body: d.body ?? "",
              image_ids: d.image_ids ?? [],
              package_ids: d.package_ids ?? [],
            },
            student_tag: d.student_tag ?? null,
            student_group: d.student_group ?? null,
            gift: giftOf(d),
            gift_rule: d.gift_rule,
          },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      message.success(t("settings.saved"));
      await settings.refetch();
    } catch (e) {
      setError(e);
    }
  };
  if (!settings.data)
    return (
      <Card loading={settings.isPending}>
        <ProblemAlert error={settings.error} />
      </Card>
    );
  return (
    <Form<SettingsDraft>
      name="student-settings"
      form={form}
      layout="vertical"
      disabled={!can("PUT /v1/student-settings")}
      initialValues={draftOf(settings.data)}
      onFinish={save}
      style={{ maxWidth: 720 }}
    >
      <ProblemAlert error={error} />
      <Typography.Title level={5}>{t("students.validity")}</Typography.Title>
      <Space align="start">
        <Form.Item name="validity_count" label={t("students.validityCount")} rules={[{ required: true }]}>
          <InputNumber min={1} max={120} precision={0} />
        </Form.Item>
        <Form.Item name="validity_unit" label={t("students.validityUnit")}>
          <Select
            style={{ width: 120 }}
            options={(["day", "month", "year"] as const).map((u) => ({
              value: u,
              label: t(`students.unit.${u}` as MessageKey),
            }))}
          />
        </Form.Item>
        <Form.Item name="reminder_days_before" label={t("students.reminderDays")}>
          <InputNumber min={0} max={90} precision={0} />
        </Form.Item>
      </Space>
      <Typography.Title level={5}>{t("students.page")}</Typography.Title>
      <Form.Item name="title" label={t("students.pageTitle")} rules={[{ max: 100 }]}>
        <Input />
      </Form.Item>
      <Form.Item name="body" label={t("students.pageBody")}>
        <Input.TextArea rows={4} maxLength={20000} />
      </Form.Item>
      <Form.Item name="image_ids" label={t("students.pageImages")}>
        <Select mode="tags" tokenSeparators={[",", " "]} open={false} />
      </Form.Item>
      <Form.Item name="package_ids" label={t("students.packages")} extra={t("students.packagesHint")}>
        <Select mode="tags" tokenSeparators={[",", " "]} open={false} />
      </Form.Item>
      <Typography.Title level={5}>{t("students.privileges")}</Typography.Title>
      <Space align="start">
        <Form.Item name="student_tag" label={t("students.tag")}>
          <Select allowClear style={{ width: 240 }} options={tags.data ?? []} loading={tags.isPending} />
        </Form.Item>
        <Form.Item name="student_group" label={t("students.group")}>
          <Select allowClear style={{ width: 240 }} options={groups.data ?? []} loading={groups.isPending} />
        </Form.Item>
      </Space>
      <Typography.Title level={5}>{t("students.gift")}</Typography.Title>
      <Space align="start">
        <Form.Item name="gift_kind" label={t("students.giftKind")}>
          <Select
            style={{ width: 180 }}
            options={(["none", "voucher", "voucher_package"] as const).map((k) => ({
              value: k,
              label: t(`students.giftKind.${k}` as MessageKey),
            }))}
          />
        </Form.Item>
        {giftKind && giftKind !== "none" ? (
          <Form.Item name="gift_id" label={t("students.giftId")} rules={[{ required: true }]}>
            <Input style={{ width: 300 }} placeholder={giftKind === "voucher" ? "gvt_…" : "gvp_…"} />
          </Form.Item>
        ) : null}
      </Space>
      <Form.Item name="gift_rule" label={t("students.giftRule")}>
        <Radio.Group
          options={(["first_verification", "every_verification"] as const).map((r) => ({
            value: r,
            label: t(`students.giftRule.${r}` as MessageKey),
          }))}
        />
      </Form.Item>
      <Button type="primary" htmlType="submit">
        {t("common.save")}
      </Button>
    </Form>
  );
}

/** Student ID (seed 001 §2.6): dashboard, review queue, settings. */
export default function Students() {
  const { t } = useI18n();
  return (
    <>
      <Typography.Title level={3}>{t("nav.students")}</Typography.Title>
      <Card>
        <Tabs
          items={[
            { key: "dashboard", label: t("students.dashboard"), children: <StudentDashboard /> },
            { key: "review", label: t("students.review"), children: <ReviewQueue /> },
            { key: "settings", label: t("students.settings"), children: <StudentSettings /> },
          ]}
        />
      </Card>
    </>
  );
}
