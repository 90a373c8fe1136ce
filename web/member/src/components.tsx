import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import {
  Button,
  Checkbox,
  ErrorBlock,
  InfiniteScroll,
  Input,
  List,
  Card as MobileCard,
  SpinLoading,
} from "antd-mobile";
import { type ReactNode, useEffect, useRef, useState } from "react";
import { ApiError, api, unwrap } from "../../api/client";
import { type Translate, useI18n } from "./i18n";
import { en, type MessageKey } from "./messages";

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

/** A cursor-paginated list: the next page loads as the member scrolls to the end. */
export function CursorList<T>(props: {
  queryKey: unknown[];
  fetchPage: (startingAfter: string | undefined) => Promise<Page<T>>;
  idOf: (item: T) => string;
  render: (item: T) => ReactNode;
  header?: ReactNode;
  testId?: string;
}) {
  const { t } = useI18n();
  const query = useInfiniteQuery({
    queryKey: props.queryKey,
    queryFn: ({ pageParam }) => props.fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) =>
      last.has_more && last.data.length > 0 ? props.idOf(last.data.at(-1)!) : undefined,
  });
  if (query.isPending) return <Loading />;
  if (query.error) return <Problem error={query.error} />;
  const items = query.data.pages.flatMap((p) => p.data);
  return (
    <div data-testid={props.testId}>
      <List header={props.header}>
        {items.length === 0 ? (
          <List.Item>
            <span style={{ color: "var(--adm-color-weak)" }}>{t("common.empty")}</span>
          </List.Item>
        ) : (
          items.map((item) => <List.Item key={props.idOf(item)}>{props.render(item)}</List.Item>)
        )}
      </List>
      {query.hasNextPage ? (
        <InfiniteScroll
          hasMore={query.hasNextPage}
          loadMore={async () => {
            await query.fetchNextPage();
          }}
        />
      ) : null}
    </div>
  );
}

export function Loading() {
  return (
    <div style={{ display: "flex", justifyContent: "center", padding: 48 }}>
      <SpinLoading color="primary" />
    </div>
  );
}

/**
 * The member's own message for a refusal whose problem code the catalog knows
 * (`problem.<code>`), or undefined: the caller then shows the API's detail.
 */
export function problemMessage(error: unknown, t: Translate): string | undefined {
  if (!(error instanceof ApiError) || !error.problem.code) return undefined;
  const key = `problem.${error.problem.code}`;
  return key in en ? t(key as MessageKey) : undefined;
}

/** A refusal's text in the member's language: its message when known, else "Not done" with the detail. */
export function useRefusalText() {
  const { t } = useI18n();
  return (error: unknown): string =>
    problemMessage(error, t) ??
    t("error.refused", { detail: error instanceof Error ? error.message : String(error) });
}

/** A refusal in the member's language: 404 as "not found", a known code as its message, else the API's detail. */
export function Problem(props: { error: unknown }) {
  const { t } = useI18n();
  const error = props.error;
  if (error instanceof ApiError && error.status === 404) {
    return <ErrorBlock status="empty" title={t("error.notFound")} description="" />;
  }
  const known = problemMessage(error, t);
  if (known) return <ErrorBlock status="default" title={known} description="" />;
  const detail = error instanceof Error ? error.message : String(error);
  return <ErrorBlock status="default" title={t("error.load", { detail })} description="" />;
}

/** A row: a title and a detail line on the left, a figure on the right. */
export function Row(props: { title: ReactNode; detail?: ReactNode; extra?: ReactNode; testId?: string }) {
  return (
    <div data-testid={props.testId} style={{ display: "flex", alignItems: "center", gap: 12 }}>
      <div style={{ flex: 1, minWidth: 0 }}>
        <div style={{ fontSize: 15 }}>{props.title}</div>
        {props.detail ? (
          <div style={{ fontSize: 12, color: "var(--adm-color-weak)", marginTop: 2 }}>{props.detail}</div>
        ) : null}
      </div>
      {props.extra ? (
        <div style={{ fontSize: 15, fontWeight: 600, whiteSpace: "nowrap" }}>{props.extra}</div>
      ) : null}
    </div>
  );
}

/**
 * `#rrggbb` mixed with white, `share` of it the colour: worked out in the page rather than by CSS
 * `color-mix`, which the older WebViews members open links in do not know.
 */
export function tintOf(hex: string, share: number): string {
  const channel = (at: number) =>
    Math.round(Number.parseInt(hex.slice(at, at + 2), 16) * share + 255 * (1 - share));
  return `rgb(${channel(1)}, ${channel(3)}, ${channel(5)})`;
}

/** Why the API refused an action, in the member's language (the API's detail only for a code not known). */
export function Refusal(props: { error: unknown }) {
  const refusalText = useRefusalText();
  if (!props.error) return null;
  return (
    <div
      data-testid="refusal"
      role="alert"
      style={{
        // Under the button it answers, as wide as the button.
        margin: "12px 0",
        padding: "10px 12px",
        borderRadius: 8,
        fontSize: 14,
        color: "var(--adm-color-danger)",
        // antd-mobile's danger colour at 8 % on white.
        background: tintOf("#ff3141", 0.08),
      }}
    >
      {refusalText(props.error)}
    </div>
  );
}

/** What makes a card one of several to choose from (a plan): named, chosen or not. */
export interface CardChoice {
  label: string;
  selected: boolean;
  onSelect: () => void;
}

/**
 * A white card on the page's grey; a card of a choice is outlined in the tenant's colour when
 * chosen. One not yet chosen is covered by a button named by the choice's label, so the
 * keyboard and a screen reader reach it as well as a finger; the chosen one has its own
 * controls (an amount, a pay button) and no cover, since a button may not hold others.
 */
export function Card(props: { children: ReactNode; testId?: string; choice?: CardChoice }) {
  const choice = props.choice;
  const content = useRef<HTMLDivElement>(null);
  // Chosen from the keyboard, the cover is gone with the focus on it: the focus moves to the
  // chosen card's first control. (A tap moves nothing: it would open a phone's keyboard.)
  const focusInside = useRef(false);
  useEffect(() => {
    if (!choice?.selected || !focusInside.current) return;
    focusInside.current = false;
    content.current?.querySelector<HTMLElement>("input, button, a[href], [tabindex]")?.focus();
  }, [choice?.selected]);
  return (
    <MobileCard
      data-testid={props.testId}
      style={{
        margin: 12,
        // With the card body's own 12 px above and below: 16 px all round, as the pages' panels.
        padding: "4px 16px",
        borderRadius: 12,
        position: "relative",
        cursor: choice && !choice.selected ? "pointer" : undefined,
        outline: choice?.selected ? "2px solid var(--brand)" : undefined,
      }}
    >
      {choice && !choice.selected ? (
        <button
          type="button"
          className="member-choice"
          aria-label={choice.label}
          onClick={(event) => {
            // A click the keyboard made (Enter, Space) counts no presses.
            focusInside.current = event.detail === 0;
            choice.onSelect();
          }}
        />
      ) : null}
      <div ref={content}>{props.children}</div>
    </MobileCard>
  );
}

/** Runs one value-moving action: busy while it runs, its refusal kept to show. */
export function useAction<A extends unknown[], R>(run: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const go = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await run(...args);
    } catch (e) {
      setError(e instanceof ApiError ? e : new Error(String(e)));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, go, clear: () => setError(undefined) };
}

/** A bordered text field inside a card (border-box: it never runs past the card's edge). */
export const inputBox: React.CSSProperties = {
  border: "1px solid var(--adm-color-border)",
  borderRadius: 8,
  padding: "6px 10px",
  marginTop: 8,
  boxSizing: "border-box",
};

/** The button of a value-moving action (see useAction), with its refusal under it. */
export function ActionButton(props: {
  action: { busy: boolean; error: unknown; go: () => Promise<unknown> };
  disabled?: boolean;
  children: ReactNode;
}) {
  const { action } = props;
  return (
    <>
      <Button
        block
        color="primary"
        style={{ marginTop: 12 }}
        disabled={props.disabled || action.busy}
        loading={action.busy}
        onClick={() => void action.go()}
      >
        {props.children}
      </Button>
      <Refusal error={action.error} />
    </>
  );
}

/**
 * The agreement a purchase asks the member to accept: its current version (which the sale
 * records) and the checkbox. Read only once the plan is chosen.
 */
export function useAgreement(id: string | null | undefined, chosen: boolean) {
  const { t } = useI18n();
  const [agreed, setAgreed] = useState(false);
  const query = useQuery({
    queryKey: ["agreement", id],
    enabled: chosen && Boolean(id),
    queryFn: () => unwrap(api.GET("/v1/agreements/{id}", { params: { path: { id: id! } } })),
  });
  return {
    /** Whether the member still has to accept it before paying. */
    pending: Boolean(id) && !agreed,
    version: id && query.data ? { [id]: query.data.version } : undefined,
    checkbox: id ? (
      <Checkbox style={{ marginTop: 8, fontSize: 13 }} checked={agreed} onChange={setAgreed}>
        {t("topup.agree", { title: query.data?.title ?? "…" })}
      </Checkbox>
    ) : null,
  };
}

/** An amount typed in major units, with why it cannot be used (out of range, too many decimals). */
export function AmountInput(props: {
  placeholder: string;
  value: string;
  onChange: (text: string) => void;
  problem?: string | null;
}) {
  return (
    <>
      <Input
        inputMode="decimal"
        placeholder={props.placeholder}
        value={props.value}
        onChange={props.onChange}
        clearable
        style={inputBox}
      />
      {props.problem ? (
        <div style={{ fontSize: 12, color: "var(--adm-color-danger)", marginTop: 4 }}>{props.problem}</div>
      ) : null}
    </>
  );
}

/**
 * An image read with the member's token (an <img> could not send it), as a URL the page can
 * show while it is mounted; undefined until it arrives. An image never changes under its id.
 */
export function useImageUrl(
  kind: string,
  id: string | undefined,
  read: (id: string) => Promise<{ data?: unknown; error?: unknown; response: Response }>,
): string | undefined {
  const blob = useQuery({
    queryKey: [kind, id],
    enabled: id !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
    queryFn: () => unwrap(read(id!)) as Promise<Blob>,
  });
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    if (!blob.data) return;
    const url = URL.createObjectURL(blob.data);
    setSrc(url);
    return () => URL.revokeObjectURL(url);
  }, [blob.data]);
  return src;
}

/**
 * A plan's cover or card design, read with the member's token (an <img> could not send it).
 * Until it arrives, and when the plan has none or it cannot be read, `fallback` stands in its
 * place (nothing by default), never a broken image.
 */
export function CoverImage(props: {
  imageId: string | null | undefined;
  testId: string;
  aspectRatio?: string;
  fallback?: ReactNode;
  /** Space under the image (8 by default: a banner above the text). */
  marginBottom?: number;
}) {
  const id = props.imageId ?? undefined;
  const src = useImageUrl("image", id, (imageId) =>
    api.GET("/v1/images/{id}", { params: { path: { id: imageId } }, parseAs: "blob" }),
  );
  const [failed, setFailed] = useState(false);
  if (!src || failed) return <>{props.fallback ?? null}</>;
  return (
    <img
      data-testid={props.testId}
      src={src}
      alt=""
      onError={() => setFailed(true)}
      style={{
        display: "block",
        width: "100%",
        aspectRatio: props.aspectRatio ?? "2 / 1",
        objectFit: "cover",
        borderRadius: 8,
        marginBottom: props.marginBottom ?? 8,
      }}
    />
  );
}
