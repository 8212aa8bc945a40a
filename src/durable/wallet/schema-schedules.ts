/**
 * The Wallet schema's step 12 (issue 23): saved recipients, scheduled
 * top-ups and each schedule's runs. Listed in ./schema.ts's MIGRATIONS;
 * append-only like every step: once deployed it is never edited.
 */
import type { Migration } from "../../lib/sqlite";

export const SCHEMA_STEP_12_SCHEDULES: Migration = {
  version: 12,
  statements: [
    // One row per saved recipient; `target_key` (src/domain/beneficiaries.ts)
    // makes a duplicate a constraint, not a race between two saves.
    `CREATE TABLE IF NOT EXISTS beneficiaries (
         id TEXT PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('phone', 'meter', 'smartcard')),
         target_key TEXT NOT NULL UNIQUE,
         target_json TEXT NOT NULL,
         nickname TEXT NOT NULL,
         verified_name TEXT,
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0)
       )`,
    // A schedule names its recipient; the alarm reads `next_run_at_ms` of
    // the active ones. `periods_done` counts runs and skipped runs against
    // `count_max`; `skips` counts consecutive skipped runs.
    `CREATE TABLE IF NOT EXISTS schedules (
         id TEXT PRIMARY KEY,
         beneficiary_id TEXT NOT NULL REFERENCES beneficiaries (id),
         product_json TEXT NOT NULL,
         recurrence_json TEXT NOT NULL,
         time_of_day TEXT NOT NULL,
         ends_on TEXT,
         count_max INTEGER CHECK (count_max IS NULL OR count_max > 0),
         periods_done INTEGER NOT NULL DEFAULT 0 CHECK (periods_done >= 0),
         skips INTEGER NOT NULL DEFAULT 0 CHECK (skips >= 0),
         status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'ended')),
         paused_reason TEXT,
         next_run_at_ms INTEGER,
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0)
       )`,
    "CREATE INDEX IF NOT EXISTS schedules_due ON schedules (status, next_run_at_ms)",
    // One run per (schedule, period): the primary key is what makes a
    // doubled alarm record one run. The order is frozen when the run is
    // recorded, so a schedule changed while its run is in flight changes
    // only the runs after it.
    `CREATE TABLE IF NOT EXISTS schedule_runs (
         schedule_id TEXT NOT NULL,
         period TEXT NOT NULL,
         due_at_ms INTEGER NOT NULL,
         idempotency_key TEXT NOT NULL,
         order_json TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('due', 'submitted', 'skipped')),
         tx_ref TEXT,
         reason_code TEXT,
         reason TEXT,
         resend_at_ms INTEGER,
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         PRIMARY KEY (schedule_id, period)
       )`,
    "CREATE INDEX IF NOT EXISTS schedule_runs_resend ON schedule_runs (status, resend_at_ms)",
  ],
};
