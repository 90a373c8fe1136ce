import type { Json, JsonDefault, Timestamp } from "../../db/schema.js";
import type { ScheduleSpec } from "./schedules.js";

export interface JobSchedulesTable {
  tenant_id: string;
  id: string;
  /** Unique per tenant: upserting the same key replaces the schedule. */
  key: string;
  job_name: string;
  data: JsonDefault<Record<string, unknown>>;
  spec: Json<ScheduleSpec>;
  /** IANA zone; null means the tenant's timezone. */
  timezone: string | null;
  enabled: boolean;
  next_run_at: Date;
  last_run_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    job_schedules: JobSchedulesTable;
  }
}
