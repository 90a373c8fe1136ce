import { type MessageKey, useI18n } from "../i18n/i18n";

/**
 * Who made a change: the kind of actor, then the user's email or the API key's name the API
 * read beside the id. The id stays one hover away, as the audit log's filter takes it.
 */
export function ActorName(props: { type: string; id: string; label: string | null | undefined }) {
  const { t } = useI18n();
  return (
    <span title={props.id} data-testid="actor-name">
      {t(`audit.actorType.${props.type}` as MessageKey)} {props.label ?? props.id}
    </span>
  );
}
