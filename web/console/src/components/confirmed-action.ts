import { useQueryClient } from "@tanstack/react-query";
import { App } from "antd";
import { useI18n } from "../i18n/i18n";
import { useProblemText } from "./problems";

/**
 * An action behind a confirm dialog (revoke, archive, delete, deactivate; restore): on OK it
 * runs, says `done`, and refreshes the list under `queryKey`; a refusal shows its problem's
 * message and leaves the list as it was. Its OK button reads as destructive unless the
 * action is `undoing` one (a restore gives back what was taken away).
 */
export function useConfirmedAction() {
  const { t } = useI18n();
  const { modal, message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  return (action: {
    title: string;
    run: () => Promise<unknown>;
    done: string;
    queryKey: readonly unknown[];
    undoing?: boolean;
  }) =>
    modal.confirm({
      title: action.title,
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: { danger: !action.undoing },
      onOk: async () => {
        try {
          await action.run();
          message.success(action.done);
          await client.invalidateQueries({ queryKey: action.queryKey });
        } catch (e) {
          message.error(problemText(e));
        }
      },
    });
}
