import { BellOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Badge, Button, Drawer, List, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { ProblemAlert } from "./problems";

/** The user's in-app notices: a bell with the unread count, the messages in a drawer. */
export function Inbox() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  const allowed = can("GET /v1/inbox/unread-count");
  const unread = useQuery({
    queryKey: ["inbox-unread"],
    enabled: allowed,
    queryFn: () => unwrap(api.GET("/v1/inbox/unread-count")),
    refetchInterval: 60_000,
  });
  const messages = useQuery({
    queryKey: ["inbox", open],
    enabled: open,
    queryFn: () => unwrap(api.GET("/v1/inbox", { params: { query: { limit: 20 } } })),
  });
  if (!allowed) return null;
  return (
    <>
      <Badge count={unread.data?.unread ?? 0} size="small">
        <Button
          type="text"
          aria-label={t("inbox.title")}
          icon={<BellOutlined />}
          onClick={() => setOpen(true)}
        />
      </Badge>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={t("inbox.title")}
        extra={
          <Link to="/platform/inbox" onClick={() => setOpen(false)}>
            {t("inbox.viewAll")}
          </Link>
        }
      >
        <ProblemAlert error={messages.error} />
        <List
          loading={messages.isFetching}
          dataSource={messages.data?.data ?? []}
          locale={{ emptyText: t("inbox.empty") }}
          renderItem={(m) => (
            <List.Item>
              <List.Item.Meta
                title={<Typography.Text strong={!m.read}>{m.title}</Typography.Text>}
                description={`${fmt.dateTime(m.created_at)} · ${m.body}`}
              />
            </List.Item>
          )}
        />
      </Drawer>
    </>
  );
}
