import { useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Select, Tag, Typography } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { FilterBar, PageHeader } from "../components/Page";
import { useProblemText } from "../components/problems";
import { useI18n } from "../i18n/i18n";

type Message = components["schemas"]["InboxMessage"];
const FILTERS = ["unread"] as const;

/** The user's in-app messages, all of them, with marking read. */
export default function InboxPage() {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const unread = filters.unread === "true" ? true : filters.unread === "false" ? false : undefined;
  const mark = async (body: { ids: string[] } | { all: true }) => {
    try {
      const { marked } = await unwrap(api.POST("/v1/inbox/read", { body }));
      message.success(t("inbox.marked", { count: marked }));
      await Promise.all([
        client.invalidateQueries({ queryKey: ["inbox-page"] }),
        client.invalidateQueries({ queryKey: ["inbox-unread"] }),
      ]);
    } catch (e) {
      message.error(problemText(e));
    }
  };
  return (
    <>
      <PageHeader
        title={t("inbox.title")}
        extra={<Button onClick={() => mark({ all: true })}>{t("inbox.markAllRead")}</Button>}
      />
      <FilterBar<{ unread?: string }> name="inbox-filters" initialValues={filters} onSearch={setFilters}>
        <Form.Item name="unread" label={t("inbox.readState")}>
          <Select
            allowClear
            style={{ width: 140 }}
            options={[
              { value: "true", label: t("inbox.unread") },
              { value: "false", label: t("inbox.read") },
            ]}
          />
        </Form.Item>
      </FilterBar>
      <CursorTable<Message>
        queryKey={["inbox-page", unread]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/inbox", {
              params: { query: { ...cursor, ...(unread === undefined ? {} : { unread }) } },
            }),
          )
        }
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("inbox.message"),
            key: "message",
            render: (_, m) => (
              <>
                <Typography.Text strong={!m.read}>{m.title}</Typography.Text>
                <div>
                  <Typography.Text type="secondary">{m.body}</Typography.Text>
                </div>
              </>
            ),
          },
          {
            title: t("common.status"),
            dataIndex: "read",
            render: (r: boolean) =>
              r ? <Tag>{t("inbox.read")}</Tag> : <Tag color="blue">{t("inbox.unread")}</Tag>,
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, m) =>
              m.read ? null : (
                <Button size="small" onClick={() => mark({ ids: [m.id] })}>
                  {t("inbox.markRead")}
                </Button>
              ),
          },
        ]}
      />
    </>
  );
}
