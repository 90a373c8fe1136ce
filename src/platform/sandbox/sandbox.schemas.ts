import { Type } from "typebox";
import { ListQuery, listOf, MAX_TIMESTAMP_LENGTH, Nullable, Obj, Timestamp } from "../http/schemas.js";
import type { AdvanceResult } from "./advance-clock.js";
import type { SandboxRow } from "./sandboxes.js";
import { type TestClockState, testClockNow } from "./tenant-clock.js";

export const TestClock = Type.Object(
  {
    object: Type.Literal("test_clock"),
    now: Timestamp,
    status: Type.Union([Type.Literal("frozen"), Type.Literal("running")], {
      description: "`frozen`: time stands still between advances; `running`: it runs with real time, offset",
    }),
    offset_ms: Type.Integer({ description: "How far a running clock is ahead of real time (0 when frozen)" }),
  },
  { $id: "TestClock" },
);

export const AdvanceBody = Obj({
  to: Type.String({
    format: "date-time",
    maxLength: MAX_TIMESTAMP_LENGTH,
    description: "The instant to move to (RFC 3339): not before the clock's now, at most two years after it",
    examples: ["2026-12-01T00:00:00+08:00"],
  }),
});

export const Advanced = Type.Object(
  {
    object: Type.Literal("test_clock"),
    now: Timestamp,
    status: Type.Union([Type.Literal("frozen"), Type.Literal("running")]),
    offset_ms: Type.Integer(),
    advance: Type.Object({
      from: Timestamp,
      to: Timestamp,
      complete: Type.Boolean({
        description: "false: the bound of due instants per call was reached at `now`; advance again to go on",
      }),
      steps: Type.Integer({ description: "Due instants run, in time order" }),
      runs: Type.Record(Type.String(), Type.Integer(), {
        description: "How many times each scheduled job or timer ran",
        examples: [{ "deposits.recheck": 3, "vouchers.expire": 1 }],
      }),
    }),
  },
  { $id: "TestClockAdvanced" },
);

export const SandboxBody = Obj({
  name: Type.String({ minLength: 1, maxLength: 200, examples: ["Acme (sandbox)"] }),
  timezone: Type.Optional(Type.String({ maxLength: 64, description: "Default: the live tenant's" })),
  clock_starts_at: Type.Optional(
    Type.String({
      format: "date-time",
      maxLength: MAX_TIMESTAMP_LENGTH,
      description:
        "Where the test clock starts, frozen (default: now): from 2000-01-01T00:00:00Z to 100 years after now, else 400 validation_failed",
    }),
  ),
});

export const Sandbox = Type.Object(
  {
    object: Type.Literal("sandbox"),
    id: Type.String(),
    name: Type.String(),
    live_tenant_id: Type.String(),
    timezone: Type.String(),
    api_key: Type.String({ description: "The sandbox's owner key (`vs_test_…`), shown once" }),
    api_key_id: Type.String(),
    clock: TestClock,
  },
  { $id: "Sandbox" },
);

export function testClockView(state: TestClockState, now: Date) {
  return {
    object: "test_clock" as const,
    now: now.toISOString(),
    status: state.frozenAt ? ("frozen" as const) : ("running" as const),
    offset_ms: state.frozenAt ? 0 : state.offsetMs,
  };
}

export function advancedView(result: AdvanceResult) {
  return {
    ...testClockView(result.state, result.reached),
    advance: {
      from: result.from.toISOString(),
      to: result.to.toISOString(),
      complete: result.complete,
      steps: result.steps,
      runs: result.runs,
    },
  };
}

export const SandboxSummary = Type.Object(
  {
    object: Type.Literal("sandbox"),
    id: Type.String(),
    name: Type.String(),
    live_tenant_id: Type.String(),
    timezone: Type.String(),
    created_at: Timestamp,
    status: Type.Union([Type.Literal("active"), Type.Literal("archived")], {
      description:
        "`archived`: its keys, sign-ins and member tokens are refused and nothing runs for it; its data stays",
    }),
    archived_at: Nullable(Timestamp),
    clock: TestClock,
  },
  { $id: "SandboxSummary" },
);

export const SandboxList = listOf(SandboxSummary);

export const SandboxListQuery = Obj({ ...ListQuery });

export function sandboxView(row: SandboxRow, real: Date) {
  return {
    object: "sandbox" as const,
    id: row.id,
    name: row.name,
    live_tenant_id: row.live_tenant_id,
    timezone: row.timezone,
    created_at: row.created_at.toISOString(),
    status: row.archived_at ? ("archived" as const) : ("active" as const),
    archived_at: row.archived_at?.toISOString() ?? null,
    clock: testClockView(row.clock, testClockNow(row.clock, real)),
  };
}
