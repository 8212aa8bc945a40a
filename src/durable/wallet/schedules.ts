/**
 * Scheduled top-ups (issue 23) in the Wallet's storage (schema step 12) and
 * the alarm's part in them. The Wallet may not call services, so a due run is
 * recorded here (its period, its Idempotency-Key, its order frozen from the
 * schedule and recipient as they are now) and a `schedule.run` message is
 * queued after the storage transaction; the consumer places the order
 * (src/services/schedule-runs.ts) and reports how it went
 * (`recordRunOutcome`).
 *
 * Rules, each proven in test/durable/wallet/schedules-alarm.test.ts:
 *  - one run per (schedule, period): the run's primary key, and the
 *    purchase's Idempotency-Key derived from the same pair, so a doubled
 *    alarm or message never buys twice;
 *  - a run's order is frozen when it is recorded: a schedule changed while a
 *    run is in flight changes the runs after it, never that one;
 *  - missed periods (an alarm that came late) collapse into one run: the next
 *    run is computed from now, there is no burst of catch-up purchases;
 *  - a refused run is skipped with its problem's code, the schedule goes on;
 *    SCHEDULE_SKIPS_MAX consecutive skips pause it; a run that goes resets
 *    the count;
 *  - a run with no outcome yet is sent again after SCHEDULE_RUN_RESEND_MS.
 */
import {
  nextRun,
  orderOf,
  type Recurrence,
  type Schedule,
  type ScheduleProduct,
  type ScheduleRun,
  type ScheduleStatus,
} from "../../domain/schedules";
import { randomBase32 } from "../../lib/ids";
import { one } from "../../lib/sqlite";
import { getBeneficiary } from "./beneficiaries";
import { appendChange, type Change } from "./changes";
import type { WalletCore } from "./core";
import { SCHEDULE_RUNS_SHOWN, SCHEDULES_MAX } from "./limits";

export type { Schedule, ScheduleRun, ScheduleStatus };

export type ScheduleInput = {
  beneficiary_id: string;
  product: ScheduleProduct;
  recurrence: Recurrence;
  time: string;
  ends_on: string | null;
  count: number | null;
};

export type SchedulePatch = Partial<ScheduleInput> & { status?: "active" | "paused" };

export type ScheduleWriteOutcome =
  | { outcome: "saved"; schedule: Schedule }
  | { outcome: "not_found" }
  | { outcome: "beneficiary_not_found" }
  | { outcome: "product_mismatch"; beneficiary_kind: string }
  | { outcome: "never_runs" }
  | { outcome: "ended" }
  | { outcome: "too_many"; limit: number }
  | { outcome: "no_wallet" };

export type RunOutcome =
  | { kind: "submitted"; tx_ref: string }
  | { kind: "skipped"; code: string; reason: string };

export type Row = {
  id: string;
  beneficiary_id: string;
  product_json: string;
  recurrence_json: string;
  time_of_day: string;
  ends_on: string | null;
  count_max: number | null;
  periods_done: number;
  skips: number;
  status: ScheduleStatus;
  paused_reason: string | null;
  next_run_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  version: number;
};

type RunRow = {
  period: string;
  due_at_ms: number;
  idempotency_key: string;
  status: ScheduleRun["status"];
  tx_ref: string | null;
  reason_code: string | null;
  reason: string | null;
};

export function rowOf(core: WalletCore, id: string): Row | null {
  return one(core.storage.sql.exec<Row>("SELECT * FROM schedules WHERE id = ?", id));
}

function runsOf(core: WalletCore, id: string): ScheduleRun[] {
  return core.storage.sql
    .exec<RunRow>(
      `SELECT period, due_at_ms, idempotency_key, status, tx_ref, reason_code, reason
       FROM schedule_runs WHERE schedule_id = ? ORDER BY period DESC LIMIT ?`,
      id,
      SCHEDULE_RUNS_SHOWN,
    )
    .toArray()
    .map((r) => ({ ...r }));
}

function toSchedule(core: WalletCore, row: Row): Schedule {
  return {
    id: row.id,
    beneficiary_id: row.beneficiary_id,
    product: JSON.parse(row.product_json) as ScheduleProduct,
    recurrence: JSON.parse(row.recurrence_json) as Recurrence,
    time: row.time_of_day,
    ends_on: row.ends_on,
    count: row.count_max,
    periods_done: row.periods_done,
    consecutive_skips: row.skips,
    status: row.status,
    paused_reason: row.paused_reason,
    next_run_at_ms: row.next_run_at_ms,
    created_at_ms: row.created_at_ms,
    updated_at_ms: row.updated_at_ms,
    version: row.version,
    last_runs: runsOf(core, row.id),
  };
}

type ScheduleChangeBody = Extract<Change, { entity: "schedule" }>["body"];

/** Write the row's new version and append it to the feed (inside the caller's transaction). */
export function write(
  core: WalletCore,
  row: Row,
  now_ms: number,
  extra: Pick<ScheduleChangeBody, "skipped" | "deleted"> = {},
): Schedule {
  core.storage.sql.exec(
    `INSERT INTO schedules (id, beneficiary_id, product_json, recurrence_json, time_of_day, ends_on, count_max,
       periods_done, skips, status, paused_reason, next_run_at_ms, created_at_ms, updated_at_ms, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET beneficiary_id = excluded.beneficiary_id, product_json = excluded.product_json,
       recurrence_json = excluded.recurrence_json, time_of_day = excluded.time_of_day, ends_on = excluded.ends_on,
       count_max = excluded.count_max, periods_done = excluded.periods_done, skips = excluded.skips,
       status = excluded.status, paused_reason = excluded.paused_reason, next_run_at_ms = excluded.next_run_at_ms,
       updated_at_ms = excluded.updated_at_ms, version = excluded.version`,
    row.id,
    row.beneficiary_id,
    row.product_json,
    row.recurrence_json,
    row.time_of_day,
    row.ends_on,
    row.count_max,
    row.periods_done,
    row.skips,
    row.status,
    row.paused_reason,
    row.next_run_at_ms,
    row.created_at_ms,
    row.updated_at_ms,
    row.version,
  );
  const schedule = toSchedule(core, row);
  appendChange<Extract<Change, { entity: "schedule" }>>(
    core.storage.sql,
    "schedule",
    row.id,
    row.version,
    { ...schedule, owner_user_id: core.ledger.profile()?.user_id ?? "", ...extra },
    now_ms,
  );
  return schedule;
}

export const timingOf = (row: Row) => ({
  recurrence: JSON.parse(row.recurrence_json) as Recurrence,
  time: row.time_of_day,
  ends_on: row.ends_on,
  count: row.count_max,
});

export function getSchedule(core: WalletCore, id: string): Schedule | null {
  const row = rowOf(core, id);
  return row ? toSchedule(core, row) : null;
}

export function listSchedules(core: WalletCore): Schedule[] {
  return core.storage.sql
    .exec<Row>("SELECT * FROM schedules ORDER BY created_at_ms, id")
    .toArray()
    .map((row) => toSchedule(core, row));
}

/** The recipient must exist in this wallet and be able to receive the product. */
function checkTarget(
  core: WalletCore,
  beneficiary_id: string,
  product: ScheduleProduct,
): ScheduleWriteOutcome | null {
  const b = getBeneficiary(core, beneficiary_id);
  if (!b) return { outcome: "beneficiary_not_found" };
  if (!orderOf(product, b.target))
    return { outcome: "product_mismatch", beneficiary_kind: b.target.kind };
  return null;
}

export function createSchedule(
  core: WalletCore,
  input: ScheduleInput,
  now_ms: number,
): ScheduleWriteOutcome {
  return core.storage.transactionSync((): ScheduleWriteOutcome => {
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    const refused = checkTarget(core, input.beneficiary_id, input.product);
    if (refused) return refused;
    const n = one(core.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM schedules"))?.n;
    if ((n ?? 0) >= SCHEDULES_MAX) return { outcome: "too_many", limit: SCHEDULES_MAX };
    const next = nextRun(input, now_ms, 0);
    if (!next) return { outcome: "never_runs" };
    const row: Row = {
      id: `sch_${randomBase32(20)}`,
      beneficiary_id: input.beneficiary_id,
      product_json: JSON.stringify(input.product),
      recurrence_json: JSON.stringify(input.recurrence),
      time_of_day: input.time,
      ends_on: input.ends_on,
      count_max: input.count,
      periods_done: 0,
      skips: 0,
      status: "active",
      paused_reason: null,
      next_run_at_ms: next.at_ms,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
      version: 1,
    };
    return { outcome: "saved", schedule: write(core, row, now_ms) };
  });
}

/**
 * Change, pause or resume. The next run is computed again from now with the
 * new timing; a resumed schedule starts its skip count afresh. A run already
 * recorded (in flight) keeps the order it was recorded with.
 */
export function updateSchedule(
  core: WalletCore,
  id: string,
  patch: SchedulePatch,
  now_ms: number,
): ScheduleWriteOutcome {
  return core.storage.transactionSync((): ScheduleWriteOutcome => {
    const current = rowOf(core, id);
    if (!current) return { outcome: "not_found" };
    if (current.status === "ended") return { outcome: "ended" };
    const beneficiary_id = patch.beneficiary_id ?? current.beneficiary_id;
    const product = patch.product ?? (JSON.parse(current.product_json) as ScheduleProduct);
    const refused = checkTarget(core, beneficiary_id, product);
    if (refused) return refused;
    const status = patch.status ?? current.status;
    const row: Row = {
      ...current,
      beneficiary_id,
      product_json: JSON.stringify(product),
      recurrence_json: JSON.stringify(patch.recurrence ?? JSON.parse(current.recurrence_json)),
      time_of_day: patch.time ?? current.time_of_day,
      ends_on: patch.ends_on === undefined ? current.ends_on : patch.ends_on,
      count_max: patch.count === undefined ? current.count_max : patch.count,
      status,
      paused_reason:
        status === "paused" ? (patch.status === "paused" ? "user" : current.paused_reason) : null,
      skips: current.status === "paused" && status === "active" ? 0 : current.skips,
      updated_at_ms: now_ms,
      version: current.version + 1,
    };
    const next = nextRun(timingOf(row), now_ms, row.periods_done);
    if (!next) return { outcome: "never_runs" };
    row.next_run_at_ms = status === "active" ? next.at_ms : null;
    return { outcome: "saved", schedule: write(core, row, now_ms) };
  });
}

/** Delete a schedule and its runs not yet placed (a message already queued for one then finds nothing to buy). */
export function deleteSchedule(core: WalletCore, id: string, now_ms: number): boolean {
  return core.storage.transactionSync(() => {
    const current = rowOf(core, id);
    if (!current) return false;
    const sql = core.storage.sql;
    const schedule = toSchedule(core, current);
    sql.exec("DELETE FROM schedule_runs WHERE schedule_id = ?", id);
    sql.exec("DELETE FROM schedules WHERE id = ?", id);
    appendChange<Extract<Change, { entity: "schedule" }>>(
      sql,
      "schedule",
      id,
      current.version + 1,
      {
        ...schedule,
        version: current.version + 1,
        owner_user_id: core.ledger.profile()?.user_id ?? "",
        deleted: true,
      },
      now_ms,
    );
    return true;
  });
}
