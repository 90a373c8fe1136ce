import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { DEFAULT_EXPORT_MAX_ROWS } from "../../config.js";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { realNow } from "../../shared/clock.js";
import { DomainError, forbidden } from "../../shared/errors.js";
import type { Actor } from "../auth/actor.js";
import { ALL_STAFF, rolesFor } from "../auth/permissions.js";
import { requireTenantWide } from "../events/events.routes.js";
import { pageLimit, toPage } from "../http/pagination.js";
import {
  errorResponses,
  IdParam,
  KeyedRecord,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../http/schemas.js";
import { fileDeps, PLATFORM_JOBS } from "../jobs/worker.js";
import "./builtin.js";
import { MAX_XLSX_PARTS, MAX_XLSX_STYLES_BYTES } from "./excel.js";
import {
  createFileJob,
  downloadable,
  FILE_ERRORS,
  type FileJobRow,
  fileJobQuery,
  foundFileJob,
  getFileJob,
  MAX_IMPORT_ROWS,
  MAX_UNPACKED_XLSX_BYTES,
  MAX_UPLOAD_BYTES,
  runFileJob,
  saveUpload,
  writeTemplate,
} from "./file-jobs.js";
import type { FileFormat } from "./files.schema.js";
import { exportType, exportTypes, importType, importTypes } from "./registry.js";

const XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const MIME: Record<FileFormat, string> = { csv: "text/csv; charset=utf-8", xlsx: XLSX_MIME };
const FORMATS = ["csv", "xlsx"] as const;

const RowErrorSchema = Type.Object({
  row: Type.Integer({ description: "Line in the file; the header is line 1" }),
  column: Type.Union([Type.String(), Type.Null()]),
  message: Type.String(),
});

const FileJob = Type.Object(
  {
    id: Type.String(),
    object: StringEnum(["export", "import"] as const),
    type: Type.String(),
    format: StringEnum(FORMATS),
    status: StringEnum(["queued", "running", "succeeded", "failed", "expired"] as const),
    mode: Type.Union([StringEnum(["all_or_nothing", "skip_bad_rows"] as const), Type.Null()]),
    filters: Type.Record(Type.String(), Type.Unknown()),
    progress: Type.Object({
      rows_done: Type.Integer(),
      rows_total: Type.Union([Type.Integer(), Type.Null()]),
      percent: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()]),
    }),
    rows_failed: Type.Integer(),
    errors: Type.Array(RowErrorSchema, { description: "Imports: the first 1000 row errors" }),
    error: Type.Union([Type.String(), Type.Null()]),
    error_code: Type.Union([Type.String(), Type.Null()], {
      description:
        "Why the job failed, as a stable code, when it is a known refusal (`export_too_large`, `file_too_large`, `invalid_file`); null otherwise",
    }),
    file: Type.Union([
      Type.Object({
        name: Type.String(),
        size: Type.Integer(),
        download_url: Type.String(),
        expires_at: Timestamp,
      }),
      Type.Null(),
    ]),
    created_by: Type.String(),
    created_at: Timestamp,
    started_at: Type.Union([Timestamp, Type.Null()]),
    finished_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: "FileJob" },
);

const TypeInfo = Type.Object({
  type: Type.String(),
  description: Type.String(),
  columns: Type.Array(
    Type.Object({
      key: Type.String(),
      header: Type.String(),
      required: Type.Optional(Type.Boolean()),
      description: Type.Optional(Type.String()),
    }),
  ),
});

function serialize(job: FileJobRow) {
  const percent =
    job.status === "succeeded"
      ? 100
      : job.rows_total
        ? Math.min(99, Math.floor((job.rows_done / job.rows_total) * 100))
        : null;
  return {
    id: job.id,
    object: job.kind,
    type: job.type,
    format: job.format,
    status: job.status,
    mode: job.mode,
    filters: job.filters,
    progress: { rows_done: job.rows_done, rows_total: job.rows_total, percent },
    rows_failed: job.rows_failed,
    errors: job.errors,
    error: job.error,
    error_code: job.error_code,
    file:
      job.kind === "export" && job.status === "succeeded" && job.file_name
        ? {
            name: job.file_name,
            size: Number(job.file_size ?? 0),
            download_url: `/v1/exports/${job.id}/download`,
            expires_at: job.expires_at.toISOString(),
          }
        : null,
    created_by: job.created_by,
    created_at: job.created_at.toISOString(),
    started_at: job.started_at?.toISOString() ?? null,
    finished_at: job.finished_at?.toISOString() ?? null,
  };
}

function allowed(actor: Actor, permission: string): boolean {
  return (rolesFor(permission) ?? []).includes(actor.role as never);
}

function mayUse(actor: Actor, kind: "import" | "export", type: string): void {
  const definition = kind === "export" ? exportType(type) : importType(type);
  if (!definition) {
    throw new DomainError(`${kind}_type_unknown`, `No ${kind} type ${type}`);
  }
  if (!allowed(actor, definition.permission))
    throw forbidden(`The ${type} ${kind} needs ${definition.permission}`);
}

/**
 * The exports a caller bound to an org unit reaches: the scoped ones (of `types`) it started
 * itself, and only while their filters stay within its subtree: they were checked when it
 * started them, but the account's unit (or the user) may have moved since. A condition on
 * `file_jobs`, so the list filters in its one query and a single export is read by the same rule.
 */
function ownScopedExports(eb: ExpressionBuilder<DB, "file_jobs">, actor: Actor, types: readonly string[]) {
  const path = actor.orgUnitPath;
  const rules = exportTypes()
    .filter((d) => types.includes(d.type))
    .flatMap((d) =>
      d.scopedJobs && path ? [eb.and([eb("type", "=", d.type), d.scopedJobs(eb, path)])] : [],
    );
  return eb.and([
    eb("kind", "=", "export"),
    eb("created_by", "=", actor.id),
    rules.length > 0 ? eb.or(rules) : sql<SqlBool>`false`,
  ]);
}

/** Refuses, as missing, an export a caller bound to an org unit does not reach (see ownScopedExports). */
async function ownJobIfScoped(trx: Tx, actor: Actor, job: FileJobRow): Promise<void> {
  if (actor.orgUnitId === null) return;
  const reached = await trx
    .selectFrom("file_jobs")
    .select("id")
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", job.id)
    .where((eb) => ownScopedExports(eb, actor, [job.type]))
    .executeTakeFirst();
  if (!reached) throw new DomainError("file_job_not_found", "export not found");
}

/** Imports and exports: asynchronous jobs with progress, history and downloads. */
export async function filesRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, config } = deps;

  // Uploads arrive as the raw body; saveUpload streams them to disk with its own size limit.
  app.addContentTypeParser(["text/csv", XLSX_MIME, "application/octet-stream"], (_request, payload, done) =>
    done(null, payload),
  );

  const start = async (tenantId: string, id: string) => {
    if (deps.jobs) {
      await deps.jobs.send(PLATFORM_JOBS.runFileJob, { tenantId, id }, { singletonKey: id });
      return;
    }
    // No job queue in this process (tests, tools): run here, after the response.
    setImmediate(() => void runFileJob(fileDeps(deps), tenantId, id, () => clock.now()).catch(() => {}));
  };

  const history = (kind: "import" | "export") =>
    async function list(request: {
      actor: Actor;
      query: { limit?: number; starting_after?: string; type?: string; status?: string };
    }) {
      const { actor } = request;
      // A caller bound to an org unit sees the scoped exports it started itself, while they stay
      // in its subtree (see ownScopedExports).
      const own = kind === "export" && actor.orgUnitId !== null;
      if (!own) requireTenantWide(actor);
      const q = request.query;
      const limit = pageLimit(q.limit);
      const types = (kind === "export" ? exportTypes() : importTypes())
        .filter((d) => allowed(actor, d.permission) && (!own || ("scoped" in d && d.scoped)))
        .map((d) => d.type);
      if (types.length === 0) return { object: "list" as const, data: [], has_more: false };
      let query = db.kysely
        .selectFrom("file_jobs")
        .selectAll()
        .where("tenant_id", "=", actor.tenantId)
        .where("kind", "=", kind)
        .where("type", "in", types)
        .orderBy("id", "desc")
        .limit(limit + 1);
      if (own) query = query.where((eb) => ownScopedExports(eb, actor, types));
      if (q.type) query = query.where("type", "=", q.type);
      if (q.status) query = query.where("status", "=", q.status as FileJobRow["status"]);
      if (q.starting_after) query = query.where("id", "<", q.starting_after);
      const rows = await db.tenantQuery(actor.tenantId, query);
      return toPage(rows as FileJobRow[], limit, serialize);
    };

  const HistoryQuery = Obj({
    ...ListQuery,
    type: Type.Optional(Type.String({ maxLength: 100 })),
    status: Type.Optional(StringEnum(["queued", "running", "succeeded", "failed", "expired"] as const)),
  });

  app.get(
    "/v1/export-types",
    {
      config: { permission: "files.use" },
      schema: {
        tags: ["files"],
        summary: "What can be exported",
        response: { 200: Type.Object({ data: Type.Array(TypeInfo) }), ...errorResponses() },
      },
    },
    async () => ({
      data: exportTypes().map((d) => ({
        type: d.type,
        description: d.description,
        columns: d.columns.map((c) => ({ key: c.key, header: c.header })),
      })),
    }),
  );

  app.post(
    "/v1/exports",
    {
      config: { permission: "files.use" },
      schema: {
        tags: ["files"],
        summary: "Start an export",
        description:
          "Runs in the background; poll the export for progress, then download its file. " +
          `One export holds at most ${DEFAULT_EXPORT_MAX_ROWS.toLocaleString("en")} rows (VOUCHSAFE_EXPORT_MAX_ROWS; ` +
          "never more than an Excel sheet holds): an export that counts more when requested is refused with " +
          "422 `export_too_large`, and one that finds more as it runs fails with `error_code` `export_too_large`; " +
          "narrow its filters and export the parts. " +
          "An export of one account (`account_statement`, `deposit_account_ledger`, `deposit_account_transactions`) " +
          "naming an account the tenant does not have answers 404 (`account_not_found`, `deposit_account_not_found`) and starts nothing. " +
          "A caller bound to an org unit may start only the types that check their filters against its subtree " +
          "(such as `deposit_account_ledger`), and sees only the exports it started.",
        body: Obj({
          type: Type.String({ maxLength: 100, examples: ["audit_events"] }),
          format: StringEnum(FORMATS),
          filters: Type.Optional(
            KeyedRecord({ maxLength: 64 }, Type.String({ maxLength: 200 }), { maxProperties: 20 }),
          ),
        }),
        response: { 202: FileJob, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const b = request.body;
      mayUse(actor, "export", b.type);
      const scoped = actor.orgUnitId === null ? undefined : exportType(b.type)?.scoped;
      if (actor.orgUnitId !== null && !scoped) requireTenantWide(actor);
      const filters = b.filters ?? {};
      const job = await db.tenantTx(actor.tenantId, async (trx) => {
        await scoped?.(trx, actor, filters);
        return createFileJob(
          trx,
          actor.tenantId,
          { kind: "export", type: b.type, format: b.format, filters, createdBy: actor.id },
          clock.now(),
          { maxExportRows: config.exportMaxRows, realTime: realNow(clock) },
        );
      });
      await start(actor.tenantId, job.id);
      reply.code(202);
      return serialize(job);
    },
  );

  app.get(
    "/v1/exports",
    {
      config: { permission: "files.use" },
      schema: {
        tags: ["files"],
        summary: "Export history, newest first",
        description:
          "Tenant-wide callers see every export they may start; a caller bound to an org unit sees the exports it started itself, " +
          "and only while their filters stay within its subtree (an export of an account whose merchant has since moved out is " +
          "left out here, as its details and download answer 404 `file_job_not_found`).",
        querystring: HistoryQuery,
        response: { 200: listOf(FileJob), ...errorResponses() },
      },
    },
    history("export"),
  );

  for (const kind of ["export", "import"] as const) {
    app.get(
      `/v1/${kind}s/:id`,
      {
        config: { permission: "files.use", ...(kind === "import" ? { tenantWide: true } : {}) },
        schema: {
          tags: ["files"],
          summary: `An ${kind} with its progress${kind === "import" ? " and row errors" : " and download link"}`,
          params: Obj({ id: IdParam }),
          response: { 200: FileJob, ...errorResponses() },
        },
      },
      async (request) => {
        const { actor } = request;
        if (kind === "import") requireTenantWide(actor);
        if (actor.orgUnitId !== null) {
          const job = await db.tenantTx(actor.tenantId, async (trx) => {
            const found = await getFileJob(trx, actor.tenantId, request.params.id, kind);
            mayUse(actor, kind, found.type);
            await ownJobIfScoped(trx, actor, found);
            return found;
          });
          return serialize(job);
        }
        const [row] = await db.tenantQuery(
          actor.tenantId,
          fileJobQuery(db.kysely, actor.tenantId, request.params.id, kind),
        );
        const job = foundFileJob(row, kind);
        mayUse(actor, kind, job.type);
        return serialize(job);
      },
    );
  }

  app.get(
    "/v1/exports/:id/download",
    {
      config: { permission: "files.use" },
      schema: {
        tags: ["files"],
        summary: "Download a finished export (the caller's tenant only, until it expires)",
        params: Obj({ id: IdParam }),
        produces: [MIME.csv, XLSX_MIME],
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses(409, 410) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const file = await db.tenantTx(actor.tenantId, async (trx) => {
        const job = await getFileJob(trx, actor.tenantId, request.params.id, "export");
        mayUse(actor, "export", job.type);
        await ownJobIfScoped(trx, actor, job);
        // Real time, in a sandbox too: the file's expiry is (see createFileJob).
        return downloadable(trx, actor.tenantId, job.id, config.dataDir, realNow(clock));
      });
      reply.header("content-type", MIME[file.format]);
      reply.header("content-disposition", `attachment; filename="${file.name}"`);
      return reply.send(createReadStream(file.path));
    },
  );

  app.get(
    "/v1/import-types",
    {
      config: { permission: "files.use" },
      schema: {
        tags: ["files"],
        summary: "What can be imported, with each type's columns",
        response: { 200: Type.Object({ data: Type.Array(TypeInfo) }), ...errorResponses() },
      },
    },
    async () => ({
      data: importTypes().map((d) => ({
        type: d.type,
        description: d.description,
        columns: d.columns.map((c) => ({
          key: c.key,
          header: c.header,
          required: c.required,
          description: c.description,
        })),
      })),
    }),
  );

  app.get(
    "/v1/import-types/:type/template",
    {
      config: { permission: "files.use" },
      schema: {
        tags: ["files"],
        summary: "A template file for an import type: the header row and an example row",
        params: Obj({ type: Type.String({ maxLength: 100 }) }),
        querystring: Obj({ format: Type.Optional(StringEnum(FORMATS, { default: "xlsx" })) }),
        produces: [MIME.csv, XLSX_MIME],
        response: { 200: Type.Unsafe({ type: "string", format: "binary" }), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? "xlsx";
      const dir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-template-"));
      try {
        const file = path.join(dir, `template.${format}`);
        await writeTemplate(request.params.type, format, file);
        const content = await readFile(file);
        reply.header("content-type", MIME[format]);
        reply.header(
          "content-disposition",
          `attachment; filename="${request.params.type}-template.${format}"`,
        );
        return reply.send(content);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  app.post(
    "/v1/imports",
    {
      config: { permission: "files.use", tenantWide: true },
      schema: {
        tags: ["files"],
        summary: "Upload a file to import",
        description:
          `The body is the file itself (Content-Type text/csv or ${XLSX_MIME}), at most 20 MiB and ` +
          `${MAX_IMPORT_ROWS} rows; an xlsx must unpack to at most ${MAX_UNPACKED_XLSX_BYTES / 1024 / 1024} MiB ` +
          `and its cell styles to at most ${MAX_XLSX_STYLES_BYTES / 1024 / 1024} MiB ` +
          `(file_too_large) and be a readable zip of at most ${MAX_XLSX_PARTS} parts (invalid_file); its first tab ` +
          "is read. Every row is validated before anything is " +
          "written. Mode all_or_nothing " +
          "(default) writes nothing if any row is wrong; skip_bad_rows writes the good rows. Poll the import for " +
          "progress and per-row errors.",
        querystring: Obj({
          type: Type.String({ maxLength: 100, examples: ["org_units"] }),
          mode: Type.Optional(
            StringEnum(["all_or_nothing", "skip_bad_rows"] as const, { default: "all_or_nothing" }),
          ),
        }),
        response: { 202: FileJob, ...errorResponses(413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      requireTenantWide(actor);
      const q = request.query;
      mayUse(actor, "import", q.type);
      const contentType = String(request.headers["content-type"] ?? "")
        .split(";")[0]!
        .trim();
      const format: FileFormat | undefined =
        contentType === "text/csv" ? "csv" : contentType === XLSX_MIME ? "xlsx" : undefined;
      const body = request.body as Readable | undefined;
      if (!format || !body || typeof (body as Readable).pipe !== "function") {
        throw new DomainError("unsupported_media_type", `Send the file as text/csv or ${XLSX_MIME}`);
      }
      const declared = Number(request.headers["content-length"] ?? 0);
      if (declared > MAX_UPLOAD_BYTES) {
        throw new DomainError("payload_too_large", "Uploads are limited to 20 MiB");
      }
      const now = clock.now();
      const job = await db.tenantTx(actor.tenantId, (trx) =>
        createFileJob(
          trx,
          actor.tenantId,
          { kind: "import", type: q.type, format, mode: q.mode ?? "all_or_nothing", createdBy: actor.id },
          now,
          { realTime: realNow(clock) },
        ),
      );
      let saved: { relative: string; size: number };
      try {
        saved = await saveUpload(config.dataDir, actor.tenantId, job.id, format, body);
      } catch (error) {
        await db.tenantTx(actor.tenantId, (trx) =>
          trx
            .updateTable("file_jobs")
            .set({
              status: "failed",
              error: error instanceof Error ? error.message : String(error),
              error_code: error instanceof DomainError ? error.code : null,
              finished_at: now,
            })
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", job.id)
            .execute(),
        );
        throw error;
      }
      const ready = await db.tenantTx(actor.tenantId, (trx) =>
        trx
          .updateTable("file_jobs")
          .set({ file_path: saved.relative, file_size: saved.size, file_name: `upload.${format}` })
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", job.id)
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      await start(actor.tenantId, job.id);
      reply.code(202);
      return serialize(ready as FileJobRow);
    },
  );

  app.get(
    "/v1/imports",
    {
      config: { permission: "files.use", tenantWide: true },
      schema: {
        tags: ["files"],
        summary: "Import history, newest first",
        querystring: HistoryQuery,
        response: { 200: listOf(FileJob), ...errorResponses() },
      },
    },
    history("import"),
  );
}

/** Imports and exports (the machinery; modules declare their own file types). */
export const filesManifest: ModuleManifest = {
  name: "platform.files",
  routes: filesRoutes,
  permissions: { "files.use": ALL_STAFF },
  errors: FILE_ERRORS,
};
