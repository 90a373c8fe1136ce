import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import {
  type Compilable,
  type Insertable,
  Kysely,
  type Kysely as KyselyType,
  PostgresDialect,
  sql,
  type Transaction,
} from "kysely";
import pg from "pg";
import { countRoundTrip } from "../shared/round-trips.js";
import type { DB } from "./schema.js";
import { parseTimestamptz } from "./timestamptz.js";

export type Tx = Transaction<DB>;
export type Db = KyselyType<DB>;

/** The role every request runs as: row-level security confines it to one tenant. */
export const APP_ROLE = "vouchsafe_app";

let parsersInstalled = false;
function installTypeParsers() {
  if (parsersInstalled) return;
  parsersInstalled = true;
  // bigint columns hold minor units: return safe JS integers, refuse silently rounded ones.
  pg.types.setTypeParser(20, (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} exceeds the safe integer range`);
    return n;
  });
  // numeric stays a string (sums of bigints may be large): callers convert deliberately.
  pg.types.setTypeParser(1700, (value: string) => value);
  // timestamptz: the usual form read directly, anything else by node-postgres's own parser.
  const general = pg.types.getTypeParser(1184) as (value: string) => Date;
  pg.types.setTypeParser(1184, (value: string) => parseTimestamptz(value) ?? general(value));
}

export interface Database {
  /** Runs as the app role; sees no tenant row until a tenant transaction sets the tenant. */
  kysely: Db;
  pool: pg.Pool;
  /**
   * One transaction confined to one tenant by row-level security: a query that forgets
   * its tenant filter still sees and writes only this tenant's rows.
   */
  tenantTx<T>(tenantId: string, fn: (trx: Tx) => Promise<T>): Promise<T>;
  /**
   * A transaction that crosses tenants: tenant creation, credential look-up before the
   * tenant is known, schedulers that find due work in every tenant. Use sparingly.
   */
  systemTx<T>(fn: (trx: Tx) => Promise<T>): Promise<T>;
  /**
   * Read-only statements over one snapshot of one tenant in ONE round trip: BEGIN (repeatable
   * read, read only), the tenant, the statements and COMMIT go as one pipeline of the extended
   * protocol (ADR 0013). Each statement is prepared once per connection (in the same round
   * trip as its first use) and then only bound and executed, so PostgreSQL neither parses nor
   * plans it again. Its text takes its values as parameters, `$1::type`…; the text must not
   * vary with them (one prepared statement per text). Returns each statement's rows.
   */
  tenantRead(tenantId: string, statements: readonly ReadStatement[]): Promise<Record<string, unknown>[][]>;
  /**
   * One read-only query of a tenant, built with Kysely (from `kysely`, never run there), in
   * one round trip as `tenantRead` runs its statements: for a request whose answer is one
   * query's rows, where a tenant transaction would take three (BEGIN and the tenant, the
   * query, COMMIT). A query whose parameters `parameterText` cannot send runs in `tenantTx`.
   */
  tenantQuery<R>(tenantId: string, query: Compilable<R>): Promise<R[]>;
  /**
   * Several read-only queries of a tenant, none needing another's answer, over one snapshot
   * in one round trip (as `tenantQuery`): each one's rows, in order.
   */
  tenantQueries<const Q extends readonly Compilable<unknown>[]>(
    tenantId: string,
    queries: Q,
  ): Promise<RowsOfEach<Q>>;
  close(): Promise<void>;
}

/** A SQL string literal (standard_conforming_strings is on: only quotes need doubling). */
function quoteLiteral(value: string): string {
  if (value.includes("\u0000")) throw new Error("a tenant id cannot contain NUL");
  return `'${value.replace(/'/g, "''")}'`;
}

export type SqlValue = string | number | boolean | Date | null | readonly string[];

/** Each query's rows (`Database.tenantQueries`). */
export type RowsOfEach<Q extends readonly Compilable<unknown>[]> = {
  -readonly [K in keyof Q]: Q[K] extends Compilable<infer R> ? R[] : never;
};

/** A read of `Database.tenantRead`: a fixed text with `$n` parameters, and their values. */
export interface ReadStatement {
  text: string;
  values: readonly SqlValue[];
}

/** A statement's result columns: their names, and the parser of each one's text. */
interface RowShape {
  names: string[];
  parsers: TextParser[];
  /** The columns whose values are instants (timestamps, read as Date). */
  instants: number[];
  /** Makes a row of the values (see `rowBuilder`), once the first row of this shape arrives. */
  build?: RowBuilder;
}

/** What a statement that returns no rows (BEGIN, COMMIT) describes. */
const NO_COLUMNS: RowShape = { names: [], parsers: [], instants: [] };

/** PostgreSQL's timestamp and timestamptz types, which node-postgres reads as Date. */
const INSTANT_TYPES = new Set([1114, 1184]);

type RowBuilder = (
  values: readonly (string | null)[],
  parsers: readonly TextParser[],
) => Record<string, unknown>;

/** Row builders by their column names (see `rowBuilder`); the texts are a fixed set, this only bounds misuse. */
const rowBuilders = new Map<string, RowBuilder>();
const MAX_ROW_BUILDERS = 1000;

/**
 * A function that makes a row of one shape as one object literal, each column a property
 * from the start. Setting the columns one by one on an empty object grew its property store
 * again and again: some 550 bytes of garbage per row of the ledger's accounts, and a bulk
 * batch locks some 8,000 of them. The names, which PostgreSQL gives, go into the code as
 * JSON string literals; a column named `__proto__`, which a literal would take for the
 * prototype, makes its rows property by property.
 */
function rowBuilder(names: readonly string[]): RowBuilder {
  const key = names.join("\u0000");
  let build = rowBuilders.get(key);
  if (build) return build;
  if (names.includes("__proto__")) {
    build = (values, parsers) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        const value = values[i];
        // Its own property, as node-postgres's rows have it, not the prototype.
        Object.defineProperty(row, names[i]!, {
          value: value == null ? null : parsers[i]!(value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return row;
    };
  } else {
    const fields = names.map(
      (name, i) => `${JSON.stringify(name)}: v[${i}] == null ? null : p[${i}](v[${i}])`,
    );
    build = new Function("v", "p", `return { ${fields.join(", ")} };`) as RowBuilder;
  }
  if (rowBuilders.size >= MAX_ROW_BUILDERS) rowBuilders.clear();
  rowBuilders.set(key, build);
  return build;
}

/**
 * Parsers for one statement's rows: a column of instants reads each distinct text once and
 * gives its rows the same Date (no code here changes a Date in place). The ledger's account
 * rows carry two, and a bulk batch's 8,000 rows hold only a handful of distinct ones (the
 * times of the batches that last wrote them).
 */
function statementParsers(shape: RowShape): readonly TextParser[] {
  if (shape.instants.length === 0) return shape.parsers;
  const parsers = [...shape.parsers];
  for (const i of shape.instants) {
    const parse = shape.parsers[i]!;
    const seen = new Map<string, unknown>();
    parsers[i] = (text) => {
      let instant = seen.get(text);
      if (instant === undefined) {
        instant = parse(text);
        if (seen.size < 64) seen.set(text, instant);
      }
      return instant;
    };
  }
  return parsers;
}

/**
 * The statements each pooled connection has prepared for a pipeline (rowsOfStatements), by
 * name, with the shape of their rows
 * as PostgreSQL described them the first time. A prepared statement's result type is fixed:
 * were a table to change under one, PostgreSQL refuses to run it ("cached plan must not
 * change result type") rather than answer in another shape.
 */
const preparedOn = new WeakMap<pg.ClientBase, Map<string, RowShape>>();
const statementNames = new Map<string, string>();
/** Bounds the text → name memo (texts are a fixed set; this only guards against misuse). */
const MAX_STATEMENT_NAMES = 1000;
/**
 * Bounds the statements one connection prepares: a query built with Kysely may vary its text
 * with its values (an `in` list's length), and each prepared text holds memory in its backend.
 */
const MAX_PREPARED_PER_CONNECTION = 500;

type TextParser = (value: string) => unknown;

export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `vs_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    if (statementNames.size >= MAX_STATEMENT_NAMES) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/** A text array's input form: every element quoted, quotes and backslashes escaped. */
function textArrayParameter(values: readonly string[]): string {
  // Mostly nothing to escape (ids): one join then, not two strings made per element (the
  // lock query of a bulk batch names some 8,000 accounts).
  if (!values.some((v) => NEEDS_ESCAPE.test(v)))
    return values.length === 0 ? "{}" : `{"${values.join('","')}"}`;
  return `{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}
const NEEDS_ESCAPE = /["\\]/;

/**
 * A value as a parameter's text, which PostgreSQL reads as the type the statement gives the
 * parameter: dates as ISO timestamps (for timestamptz), arrays as text arrays' input form.
 */
export function parameterText(value: SqlValue): string | null {
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  return textArrayParameter(value);
}

/** What of node-postgres's connection a pipeline writes to. */
interface ProtocolConnection {
  stream: { cork(): void; uncork(): void };
  query(text: string): void;
  parse(message: { name: string; text: string; types: number[] }): void;
  bind(message: { statement: string; values: (string | null)[] }): void;
  describe(message: { type: "P"; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  sync(): void;
}

/**
 * Several statements sent at once, whose answer is each statement's rows, in order (one
 * entry for every statement, an empty one for those that return none). node-postgres's own
 * Query builds a Result for every statement, an empty row template from each row description
 * and emits an event for every row: for a snapshot read of some fifteen statements that
 * bookkeeping cost more than reading the rows. Handed to `client.query` as a submittable;
 * the client calls the handlers below as PostgreSQL's messages arrive.
 */
class StatementsRows {
  readonly done: Promise<Record<string, unknown>[][]>;
  private readonly results: Record<string, unknown>[][] = [];
  /** Each answered statement's command tag ("SELECT 2", "INSERT 0 1"). */
  readonly tags: string[] = [];
  private rows: Record<string, unknown>[] = [];
  /** The statement being answered: PostgreSQL answers them in order, each ending in CommandComplete. */
  private statement = 0;
  private shape: RowShape;
  /** The current statement's parsers (see `statementParsers`), from its first row. */
  private parsers: readonly TextParser[] | undefined;
  /** The shapes PostgreSQL described in this answer, by statement. */
  private readonly described: (RowShape | undefined)[] = [];
  private settle!: { resolve: (rows: Record<string, unknown>[][]) => void; reject: (error: Error) => void };
  private failed = false;

  /**
   * `known[i]`, when given, is the shape of statement i's rows, sent without a Describe (so
   * PostgreSQL sends no RowDescription for it); the others are described as they are answered.
   */
  constructor(
    private readonly send: (connection: ProtocolConnection) => void,
    private readonly known: readonly (RowShape | undefined)[] = [],
  ) {
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.shape = known[0] ?? NO_COLUMNS;
  }

  submit(connection: ProtocolConnection): void {
    this.send(connection);
  }

  /** The shape of statement i's rows: as described in this answer, or as known before it. */
  shapeOf(statement: number): RowShape {
    return this.described[statement] ?? this.known[statement] ?? NO_COLUMNS;
  }

  handleRowDescription(msg: { fields: { name: string; dataTypeID: number }[] }): void {
    const fields = msg.fields;
    const shape: RowShape = {
      names: new Array(fields.length),
      parsers: new Array(fields.length),
      instants: [],
    };
    for (let i = 0; i < fields.length; i++) {
      shape.names[i] = fields[i]!.name;
      shape.parsers[i] = pg.types.getTypeParser(fields[i]!.dataTypeID, "text") as TextParser;
      if (INSTANT_TYPES.has(fields[i]!.dataTypeID)) shape.instants.push(i);
    }
    this.shape = shape;
    this.parsers = undefined;
    this.described[this.statement] = shape;
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    const shape = this.shape;
    shape.build ??= rowBuilder(shape.names);
    this.parsers ??= statementParsers(shape);
    this.rows.push(shape.build(msg.fields, this.parsers));
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.tags.push(msg.text ?? "");
    this.results.push(this.rows);
    this.rows = [];
    this.statement++;
    this.shape = this.known[this.statement] ?? NO_COLUMNS;
    this.parsers = undefined;
  }

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail("a snapshot read copies nothing");
  }

  handleCopyData(): void {}

  /** PostgreSQL's error (the client then forgets this query) or the connection's. */
  handleError(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.settle.reject(error);
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.settle.resolve(this.results);
  }
}

/** Each statement's rows of a simple query of several statements, in order (see StatementsRows). */
export function rowsOfEachStatement(
  client: pg.ClientBase,
  text: string,
): Promise<Record<string, unknown>[][]> {
  const read = new StatementsRows((connection) => connection.query(text));
  client.query(read as unknown as pg.QueryConfig);
  return read.done;
}

/**
 * A statement of a pipeline: its prepared name, its text when not yet prepared, its
 * parameters, and the shape of its rows when the connection has seen it (no Describe then).
 */
interface PipelineStep {
  name: string;
  parse: string | null;
  values: (string | null)[];
  shape: RowShape | undefined;
}

/**
 * Each step's rows, the steps sent in the extended protocol as one pipeline: for each, a
 * Parse when the connection has not prepared it yet, then Bind, a Describe when the shape of
 * its rows is not known yet, and Execute, and one Sync after the last, all in one write (the
 * socket is corked while they are queued). PostgreSQL answers with one ReadyForQuery at the
 * end, so node-postgres sees one query. After an error PostgreSQL skips to the Sync; the steps
 * after it are not run. Answers the read, whose `shapeOf(i)` is step i's shape once done.
 */
function rowsOfEachStep(client: pg.ClientBase, steps: readonly PipelineStep[]): StatementsRows {
  const read = new StatementsRows(
    (connection) => {
      connection.stream.cork();
      try {
        for (const step of steps) {
          if (step.parse !== null) connection.parse({ name: step.name, text: step.parse, types: [] });
          connection.bind({ statement: step.name, values: step.values });
          if (step.shape === undefined) connection.describe({ type: "P", name: "" });
          connection.execute({ portal: "", rows: 0 });
        }
        connection.sync();
      } finally {
        connection.stream.uncork();
      }
    },
    steps.map((step) => step.shape),
  );
  client.query(read as unknown as pg.QueryConfig);
  return read;
}

/** A statement of `rowsOfStatements`. */
export interface PipelinedStatement {
  text: string;
  values: readonly SqlValue[];
  /** Prepared on the connection the first time and reused after (the default), or parsed each time. */
  prepare?: boolean;
}

/**
 * Statements sent as one pipeline (see rowsOfEachStep), in one round trip: each one's rows,
 * in order. A statement to prepare is prepared under its `statementName` the first time, and
 * the shape of its rows is remembered, so later pipelines send it without Parse or Describe.
 * After an error PostgreSQL skips the rest (a COMMIT among them too) and a transaction stays
 * aborted for the caller to roll back; which statements got prepared is then not known, so
 * the caller discards the connection.
 */
export async function rowsOfStatements(
  client: pg.ClientBase,
  statements: readonly PipelinedStatement[],
): Promise<Record<string, unknown>[][]> {
  let prepared = preparedOn.get(client);
  if (!prepared) {
    prepared = new Map();
    preparedOn.set(client, prepared);
  }
  const preparing: string[] = [];
  const steps = statements.map((st): PipelineStep => {
    const values = st.values.map(parameterText);
    if (st.prepare === false) return { name: "", parse: st.text, values, shape: undefined };
    const name = statementName(st.text);
    const shape = prepared.get(name);
    // A connection prepares a bounded number of texts; one past the bound is parsed each time.
    if (shape === undefined && prepared.size + preparing.length >= MAX_PREPARED_PER_CONNECTION)
      return { name: "", parse: st.text, values, shape: undefined };
    const parse = shape !== undefined || preparing.includes(name) ? null : st.text;
    if (parse !== null) preparing.push(name);
    return { name, parse, values, shape };
  });
  const read = rowsOfEachStep(client, steps);
  const results = await read.done;
  for (let i = 0; i < steps.length; i++) {
    if (steps[i]!.name !== "" && steps[i]!.shape === undefined) prepared.set(steps[i]!.name, read.shapeOf(i));
  }
  return results;
}

/** BEGIN and the tenant, to go first in a pipeline of a tenant's transaction (rowsOfStatements). */
export function openingStatements(tenantId: string): PipelinedStatement[] {
  return [
    { text: "begin", values: [] },
    { text: SET_TENANT, values: [tenantId] },
  ];
}

/** What `parameterText` takes. */
export function isSqlValue(value: unknown): value is SqlValue {
  if (value === null || value instanceof Date) return true;
  const type = typeof value;
  if (type === "string" || type === "number" || type === "boolean") return true;
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

const BEGIN_SNAPSHOT = "begin transaction isolation level repeatable read, read only";
/** The setting the row-level security policies read; local to the transaction. */
const TENANT_SETTING = "vouchsafe.tenant_id";
const SET_TENANT = `select set_config('${TENANT_SETTING}', $1::text, true)`;

/**
 * BEGIN and the tenant as one simple query (which may hold two statements but takes no
 * parameters): a tenant's transaction opened in one round trip.
 */
export function beginTenantQuery(tenantId: string): string {
  return `begin; select set_config('${TENANT_SETTING}', ${quoteLiteral(tenantId)}, true)`;
}

export async function setTenant(trx: Tx, tenantId: string): Promise<void> {
  await sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`.execute(trx);
}

/**
 * pg-pool listens for errors only on idle clients. A checked-out client between two queries
 * of a transaction (PostgreSQL shutting down, a dropped connection) would otherwise emit an
 * unhandled 'error' and crash the process; its next query fails and the pool discards it.
 */
function keepErrorsFromCrashing(client: pg.PoolClient): void {
  client.on("error", () => {});
}

/**
 * What `tenantTx` sends in place of BEGIN: the tenant's id after this marker. The pooled
 * client keeps it and sends BEGIN and the tenant in one pipeline with the transaction's first
 * statement (`queryAfterPreamble`), and neither BEGIN nor COMMIT when the transaction sends none.
 */
const DEFERRED_BEGIN = "-- vouchsafe: begin the tenant's transaction with its first statement\n";

/** What a checked-out client sends ahead of its next query, in the same round trip. */
export interface Preamble {
  /** BEGIN and this tenant's `set_config`, when the transaction has not begun yet. */
  tenantId: string | undefined;
  /** Statements without values, after BEGIN (a savepoint). */
  statements: readonly string[];
}
const preambles = new WeakMap<pg.ClientBase, Preamble>();

/**
 * BEGIN, the tenant, a savepoint: what goes ahead of the client's next query, in the same
 * round trip (the ledger's batches open a unit's savepoint so). A client keeps one preamble;
 * the pool forgets it when the client is released.
 */
export function sendBeforeNextQuery(client: pg.ClientBase, preamble: Preamble): void {
  if (preambles.has(client)) throw new Error("a preamble is already waiting on this connection");
  preambles.set(client, preamble);
}

const NOTHING_SENT = Object.freeze({ command: null, rowCount: null, rows: Object.freeze([]), fields: [] });
const prepareValue = (
  createRequire(import.meta.url)("pg/lib/utils.js") as { prepareValue(v: unknown): unknown }
).prepareValue;

/**
 * A preamble and the query after it as one pipeline of the extended protocol: one round trip
 * where there were two or more. The preamble goes unprepared, so an error in the query leaves
 * nothing prepared that the connection must remember. Answers as node-postgres's own query
 * would, for Kysely: the query's rows, command and row count.
 */
async function queryAfterPreamble(
  client: pg.ClientBase,
  preamble: Preamble,
  text: string,
  values: readonly unknown[],
) {
  const steps: PipelineStep[] = [];
  if (preamble.tenantId !== undefined)
    steps.push(
      { name: "", parse: "begin", values: [], shape: NO_COLUMNS },
      { name: "", parse: SET_TENANT, values: [preamble.tenantId], shape: NO_COLUMNS },
    );
  for (const statement of preamble.statements)
    steps.push({ name: "", parse: statement, values: [], shape: NO_COLUMNS });
  const last = steps.length;
  steps.push({
    name: "",
    parse: text,
    values: values.map((v) => prepareValue(v) as string | null),
    shape: undefined,
  });
  const read = rowsOfEachStep(client, steps);
  const results = await read.done;
  // "INSERT 0 2" (an oid, then the rows), "UPDATE 2", "SELECT 2", "BEGIN", as node-postgres reads it.
  const tag = /^([A-Za-z]+)(?: (\d+))?(?: (\d+))?/.exec(read.tags[last] ?? "");
  const rows = tag?.[3] ?? tag?.[2];
  return {
    command: tag?.[1] ?? null,
    rowCount: rows === undefined ? null : Number(rows),
    rows: results[last] ?? [],
    fields: [],
  };
}

/**
 * Every query a pooled client sends is one round trip of whichever request is running it.
 * A waiting preamble (a tenant transaction's BEGIN: see DEFERRED_BEGIN) goes with it.
 */
function countQueries(client: pg.PoolClient): void {
  const query = client.query as (...a: unknown[]) => unknown;
  client.query = function countedQuery(this: pg.PoolClient, ...args: unknown[]) {
    const [text, values] = args;
    const preamble = preambles.get(this);
    if (typeof text === "string") {
      if (text.startsWith(DEFERRED_BEGIN)) {
        sendBeforeNextQuery(this, { tenantId: text.slice(DEFERRED_BEGIN.length), statements: [] });
        return Promise.resolve(NOTHING_SENT);
      }
      if (preamble !== undefined) {
        preambles.delete(this);
        // A transaction that sent nothing has nothing to end.
        if (preamble.tenantId !== undefined && (text === "commit" || text === "rollback"))
          return Promise.resolve(NOTHING_SENT);
        // Only a text with values: one without any goes through node-postgres's simple query,
        // which may hold several statements (a pipeline's Parse takes one). (The pipeline is
        // a query of this client too, and counts as one.)
        if (args.length === 2 && Array.isArray(values) && values.length > 0)
          return queryAfterPreamble(this, preamble, text, values);
      }
    }
    if (preamble !== undefined) {
      // Any other kind of query (one without values, a cursor, a config object) follows the
      // preamble sent in a round trip of its own: node-postgres runs a client's queries in the order they are
      // given. (BEGIN of a quoted literal or a savepoint fails only with its connection, and
      // then so does what follows it.)
      preambles.delete(this);
      const texts = [
        ...(preamble.tenantId === undefined ? [] : [beginTenantQuery(preamble.tenantId)]),
        ...preamble.statements,
      ];
      countRoundTrip();
      (query.call(this, texts.join("; ")) as Promise<unknown>).catch(() => {});
    }
    countRoundTrip();
    return query.apply(this, args);
  } as typeof client.query;
}

/**
 * How long a transaction of the app may wait for its next statement before the server ends
 * it. The app's transactions never wait on anything but their own statements and a few
 * milliseconds of code between them; one left open by a process that stopped without closing
 * its connection (frozen, or cut off by the network, so no FIN reaches the server) would hold
 * its rows locked, a hot account's among them, until TCP gave up on it: hours.
 */
export const IDLE_TRANSACTION_TIMEOUT_MS = 60_000;

export function createDatabase(
  connectionString: string,
  options: { poolSize?: number; idleTransactionTimeoutMs?: number } = {},
): Database {
  installTypeParsers();
  const idleTransactionTimeout = Math.trunc(options.idleTransactionTimeoutMs ?? IDLE_TRANSACTION_TIMEOUT_MS);
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
    application_name: "vouchsafe",
    // A connection whose server went silent is found dead by the client too.
    keepAlive: true,
  });
  pool.on("connect", (client) => {
    keepErrorsFromCrashing(client);
    countQueries(client);
    // Queued before any query of this client runs, so no statement escapes the role.
    client
      .query(`set role ${APP_ROLE}; set idle_in_transaction_session_timeout = ${idleTransactionTimeout}`)
      .catch(() => {});
  });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  pool.on("release", (_error: unknown, client: pg.PoolClient) => preambles.delete(client));
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const readOnce = async (tenantId: string, statements: readonly ReadStatement[]) => {
    const client = await pool.connect();
    let results: Record<string, unknown>[][];
    try {
      results = await rowsOfStatements(client, [
        { text: BEGIN_SNAPSHOT, values: [] },
        { text: SET_TENANT, values: [tenantId] },
        ...statements,
        { text: "commit", values: [] },
      ]);
    } catch (error) {
      // The transaction is left aborted and which statements got prepared is unknown: the
      // connection is discarded rather than cleaned up (a failed read is rare).
      client.release(error as Error);
      throw error;
    }
    client.release();
    return results.slice(2, 2 + statements.length);
  };
  const tenantRead = async (tenantId: string, statements: readonly ReadStatement[]) => {
    try {
      return await readOnce(tenantId, statements);
    } catch (error) {
      // A table changed under a prepared `select *` ("cached plan must not change result
      // type"): that connection is gone, the read runs once more on one that prepares anew.
      if ((error as { code?: string }).code !== "0A000") throw error;
      return readOnce(tenantId, statements);
    }
  };
  const tenantQueries = async <const Q extends readonly Compilable<unknown>[]>(
    tenantId: string,
    queries: Q,
  ) => {
    const compiled = queries.map((q) => q.compile());
    if (compiled.every((c) => c.parameters.every(isSqlValue)))
      return (await tenantRead(
        tenantId,
        compiled.map((c) => ({ text: c.sql, values: c.parameters as SqlValue[] })),
      )) as RowsOfEach<Q>;
    return tenantTx(tenantId, async (trx) => {
      await sql`set transaction read only`.execute(trx);
      const rows: unknown[][] = [];
      for (const c of compiled) rows.push((await trx.executeQuery(c)).rows);
      return rows as RowsOfEach<Q>;
    });
  };
  const tenantTx: Database["tenantTx"] = (tenantId, fn) =>
    kysely.connection().execute(async (connection) => {
      // Every request runs at least one tenant transaction, so the saved round trip counts:
      // BEGIN goes with the first statement (DEFERRED_BEGIN).
      quoteLiteral(tenantId); // refuses an id it could not send, before anything runs
      await sql.raw(DEFERRED_BEGIN + tenantId).execute(connection);
      const rollBack = () =>
        sql
          .raw("rollback")
          .execute(connection)
          .catch(() => {});
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(connection as unknown as Tx);
      } catch (error) {
        await rollBack();
        throw error;
      }
      try {
        await sql.raw("commit").execute(connection);
      } catch (error) {
        await rollBack();
        throw error;
      }
      return result;
    });
  return {
    kysely,
    pool,
    tenantTx,
    tenantRead,
    tenantQuery: async <R>(tenantId: string, query: Compilable<R>) =>
      (await tenantQueries(tenantId, [query]))[0] as R[],
    tenantQueries,
    systemTx: (fn) =>
      kysely.transaction().execute(async (trx) => {
        await sql`set local role none`.execute(trx);
        return fn(trx);
      }),
    close: async () => {
      await kysely.destroy();
    },
  };
}

/**
 * Runs `fn` on one short-lived connection (creating or dropping a database), with an error
 * listener so a server going away between queries fails the call instead of the process.
 */
export async function withClient<T>(
  connectionString: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A direct connection with the migration owner's rights (migrations, test set-up). */
export function createOwnerKysely(connectionString: string): Db {
  installTypeParsers();
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on("connect", keepErrorsFromCrashing);
  pool.on("error", () => {
    // An idle client lost its connection (the server restarted or the database was dropped).
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Somewhere append-only rows (audit events, outbox events, idempotency records) can go:
 * a transaction writes them at once; the ledger's unit of work collects them and writes
 * each table's rows of a whole batch in one statement.
 */
export interface RowAppender {
  append<T extends keyof DB & string>(table: T, row: Insertable<DB[T]>): void;
}

export type RowTarget = Tx | RowAppender;

export async function appendRow<T extends keyof DB & string>(
  target: RowTarget,
  table: T,
  row: Insertable<DB[T]>,
): Promise<void> {
  if ("append" in target && typeof target.append === "function") {
    target.append(table, row);
    return;
  }
  await (target as Tx)
    .insertInto(table)
    // biome-ignore lint/suspicious/noExplicitAny: Kysely cannot narrow a generic table's insert type.
    .values(row as any)
    .execute();
}
