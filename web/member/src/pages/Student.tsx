import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Input, Tag } from "antd-mobile";
import { useState } from "react";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { ActionButton, inputBox as box, Card, Loading, Problem, useAction } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";

/** What the upload takes (students/upload-student-id.ts checks the content too). */
const ACCEPT = "image/png,image/jpeg,image/webp";
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Student ID (seed 001): the merchant's verification page, the member's status (verified
 * until, pending review, rejected and why), and the form: school, student number, graduation
 * date and a photo of the ID, uploaded first and then submitted with the verification.
 */
export default function Student() {
  const { t, fmt } = useI18n();
  const { visit } = useMember();
  const id = visit.memberId;
  const page = useQuery({
    queryKey: ["student-page"],
    queryFn: () => unwrap(api.GET("/v1/student-verification-page")),
  });
  const status = useQuery({
    queryKey: ["student-status", id],
    queryFn: () =>
      unwrap(api.GET("/v1/members/{member_id}/student-status", { params: { path: { member_id: id } } })),
  });
  if (status.isPending) return <Loading />;
  if (status.error) return <Problem error={status.error} />;
  const s = status.data;
  const current = s.current;
  return (
    <div>
      {/* A merchant that has not written its page yet shows none rather than an empty box. */}
      {page.data && (page.data.title || page.data.body || page.data.packages.length > 0) ? (
        <Card testId="student-page">
          <div style={{ fontWeight: 600, fontSize: 17 }}>{page.data.title}</div>
          <div style={{ fontSize: 14, whiteSpace: "pre-wrap", marginTop: 6 }}>{page.data.body}</div>
          {page.data.packages.length > 0 ? (
            <div style={{ display: "flex", gap: 4, flexWrap: "wrap", marginTop: 8 }}>
              {page.data.packages.map((p) => (
                <Tag key={p.id} color="primary" fill="outline">
                  {p.name}
                </Tag>
              ))}
            </div>
          ) : null}
        </Card>
      ) : null}
      <Card testId="student-status">
        <div style={{ display: "flex", alignItems: "center", gap: 8 }}>
          <span style={{ flex: 1 }}>{t("student.status")}</span>
          {s.pending ? (
            <Tag color="warning">{t("student.pending")}</Tag>
          ) : s.student ? (
            <Tag color="success">{t("student.verified")}</Tag>
          ) : (
            <Tag color="default">{t("student.not")}</Tag>
          )}
        </div>
        {s.student && current?.valid_until ? (
          <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 6 }}>
            {t("common.until", { date: fmt.date(current.valid_until) })} · {current.school}
          </div>
        ) : null}
        {!s.student && !s.pending && current?.status === "rejected" ? (
          <div style={{ fontSize: 13, color: "var(--adm-color-danger)", marginTop: 6 }}>
            {t("student.rejected", { reason: current.reject_reason ?? "" })}
          </div>
        ) : null}
      </Card>
      {s.pending ? null : <SubmitForm memberId={id} />}
    </div>
  );
}

function SubmitForm(props: { memberId: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [school, setSchool] = useState("");
  const [number, setNumber] = useState("");
  const [graduation, setGraduation] = useState("");
  const [file, setFile] = useState<File>();
  const [tooBig, setTooBig] = useState(false);
  // One key per submission (the upload and the verification each their own).
  const [keys] = useState(() => ({ upload: idempotencyKey(), submit: idempotencyKey() }));
  const submit = useAction(async () => {
    const image = await unwrap(
      api.POST("/v1/members/{member_id}/student-id-images", {
        params: { path: { member_id: props.memberId } },
        headers: { "idempotency-key": keys.upload, "content-type": file!.type },
        body: file as never,
        bodySerializer: (body: unknown) => body as BodyInit,
      }),
    );
    await unwrap(
      api.POST("/v1/student-verifications", {
        headers: { "idempotency-key": keys.submit },
        body: {
          member_id: props.memberId,
          school: school.trim(),
          student_number: number.trim(),
          graduation_date: graduation,
          image_id: image.id,
        },
      }),
    );
    await queryClient.invalidateQueries({ queryKey: ["student-status"] });
  });
  const ready = school.trim() && number.trim() && /^\d{4}-\d{2}-\d{2}$/.test(graduation) && file && !tooBig;
  return (
    <Card testId="student-form">
      <div style={{ fontWeight: 600 }}>{t("student.submit")}</div>
      <Input placeholder={t("student.school")} value={school} onChange={setSchool} style={box} />
      <Input placeholder={t("student.number")} value={number} onChange={setNumber} style={box} />
      <label style={{ display: "block", fontSize: 13, color: "var(--adm-color-weak)", marginTop: 10 }}>
        {t("student.graduation")}
        <input
          type="date"
          data-testid="student-graduation"
          value={graduation}
          onChange={(e) => setGraduation(e.target.value)}
          style={{ ...box, display: "block", width: "100%", boxSizing: "border-box", fontSize: 15 }}
        />
      </label>
      <label style={{ display: "block", fontSize: 13, color: "var(--adm-color-weak)", marginTop: 10 }}>
        {t("student.photo")}
        <input
          type="file"
          accept={ACCEPT}
          data-testid="student-photo"
          onChange={(e) => {
            const chosen = e.target.files?.[0];
            setFile(chosen);
            setTooBig(Boolean(chosen && chosen.size > MAX_BYTES));
          }}
          style={{ display: "block", marginTop: 6 }}
        />
      </label>
      {tooBig ? (
        <div style={{ fontSize: 12, color: "var(--adm-color-danger)", marginTop: 4 }}>
          {t("student.tooBig")}
        </div>
      ) : null}
      <ActionButton action={submit} disabled={!ready}>
        {t("student.send")}
      </ActionButton>
    </Card>
  );
}
