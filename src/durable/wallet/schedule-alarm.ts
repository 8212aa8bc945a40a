/**
 * The alarm's part in scheduled top-ups (the rules are listed in
 * ./schedules.ts), and the consumer's two calls about a run: the order to
 * place and its outcome. The alarm records what is due in one storage
 * transaction, then queues one `schedule.run` message per run
 * waiting for its outcome (src/queue/messages.ts ScheduleRunMessage). A send
 * that fails is only logged: the run keeps its `resend_at_ms`, the alarm is
 * armed for it, and the next alarm sends it again; a message that arrives
 * twice buys once (the run's Idempotency-Key, and the run's outcome is
 * recorded once).
 */
import { newRequestId } from "../../lib/ids";
import { log } from "../../lib/log";
import type { WalletCore } from "./core";
import {
  nextRun,
  orderOf,
  runIdempotencyKey,
  type ScheduleOrder,
  type ScheduleProduct,
} from "../../domain/schedules";
import { lagosDayKey } from "../../domain/tiers";
import { one } from "../../lib/sqlite";
import { getBeneficiary } from "./beneficiaries";
import { SCHEDULE_DUE_BATCH_MAX, SCHEDULE_RUN_RESEND_MS } from "./limits";
import { rowOf, timingOf, write, type Row, type RunOutcome } from "./schedules";

/** Why a schedule paused itself (its `paused_reason`). */
const SKIPS_PAUSE_REASON = "skipped_runs";

export async function sendDueRuns(core: WalletCore, env: Env, now_ms: number): Promise<void> {
  const user_id = core.ledger.profile()?.user_id;
  if (!user_id) return;
  const runs = recordDueRuns(core, now_ms);
  if (runs.length === 0) return;
  try {
    await env.WALLET_EVENTS.sendBatch(
      runs.map((run) => ({
        body: {
          v: 1,
          kind: "schedule.run",
          request_id: newRequestId(),
          user_id,
          schedule_id: run.schedule_id,
          period: run.period,
        },
      })),
    );
  } catch (error) {
    log.error("scheduled runs not queued; the alarm sends them again", {
      user_id,
      runs: runs.length,
      error,
    });
  }
}

// ---- The alarm's part --------------------------------------------------------------------------

/** When the alarm must wake for schedules: the earliest next run of an active schedule, or a run to send again. */
export function schedulesWakeAt(core: WalletCore): number | null {
  const row = one(
    core.storage.sql.exec<{ at: number | null }>(
      `SELECT MIN(at) AS at FROM (
         SELECT MIN(next_run_at_ms) AS at FROM schedules WHERE status = 'active'
         UNION ALL SELECT MIN(resend_at_ms) FROM schedule_runs WHERE status = 'due')`,
    ),
  );
  return row?.at ?? null;
}

export type RunToSend = { schedule_id: string; period: string };

/**
 * Record the runs that are due (one per schedule, however late the alarm is)
 * and answer every run still waiting for its outcome whose (re)send time has
 * come, marking when to send it again. One storage transaction.
 */
export function recordDueRuns(core: WalletCore, now_ms: number): RunToSend[] {
  return core.storage.transactionSync(() => {
    const sql = core.storage.sql;
    const due = sql
      .exec<Row>(
        "SELECT * FROM schedules WHERE status = 'active' AND next_run_at_ms <= ? ORDER BY next_run_at_ms LIMIT ?",
        now_ms,
        SCHEDULE_DUE_BATCH_MAX,
      )
      .toArray();
    for (const row of due) {
      const due_at_ms = row.next_run_at_ms as number;
      const period = lagosDayKey(due_at_ms);
      const beneficiary = getBeneficiary(core, row.beneficiary_id);
      const order = beneficiary
        ? orderOf(JSON.parse(row.product_json) as ScheduleProduct, beneficiary.target)
        : null;
      const inserted = sql.exec(
        `INSERT INTO schedule_runs (schedule_id, period, due_at_ms, idempotency_key, order_json, status, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, 'due', ?, ?) ON CONFLICT (schedule_id, period) DO NOTHING`,
        row.id,
        period,
        due_at_ms,
        runIdempotencyKey(row.id, period),
        JSON.stringify(order),
        now_ms,
        now_ms,
      ).rowsWritten;
      // A period already recorded (a doubled alarm over the same due time) is not counted again.
      const periods_done = row.periods_done + (inserted > 0 ? 1 : 0);
      // From now, not from the run just recorded: periods missed while no alarm came are not bought late.
      const next = nextRun(timingOf(row), Math.max(now_ms, due_at_ms), periods_done);
      write(
        core,
        {
          ...row,
          periods_done,
          status: next ? "active" : "ended",
          next_run_at_ms: next?.at_ms ?? null,
          updated_at_ms: now_ms,
          version: row.version + 1,
        },
        now_ms,
      );
    }
    const to_send = sql
      .exec<RunToSend>(
        `SELECT schedule_id, period FROM schedule_runs
         WHERE status = 'due' AND (resend_at_ms IS NULL OR resend_at_ms <= ?) ORDER BY due_at_ms LIMIT ?`,
        now_ms,
        SCHEDULE_DUE_BATCH_MAX,
      )
      .toArray()
      .map((r) => ({ ...r }));
    for (const r of to_send)
      sql.exec(
        "UPDATE schedule_runs SET resend_at_ms = ? WHERE schedule_id = ? AND period = ?",
        now_ms + SCHEDULE_RUN_RESEND_MS,
        r.schedule_id,
        r.period,
      );
    return to_send;
  });
}

/** What the consumer places for a run still waiting for its outcome; null when it has one (or is gone). */
export function runToPlace(
  core: WalletCore,
  schedule_id: string,
  period: string,
): { order: ScheduleOrder | null; idempotency_key: string } | null {
  const run = one(
    core.storage.sql.exec<{ order_json: string; idempotency_key: string; status: string }>(
      "SELECT order_json, idempotency_key, status FROM schedule_runs WHERE schedule_id = ? AND period = ?",
      schedule_id,
      period,
    ),
  );
  if (!run || run.status !== "due") return null;
  return {
    order: JSON.parse(run.order_json) as ScheduleOrder | null,
    idempotency_key: run.idempotency_key,
  };
}

/**
 * The consumer's report of a run: placed (its transaction, delivered or not,
 * says the rest) or skipped with the refusal's code. Recorded once; a later
 * report of the same run (a doubled message) changes nothing.
 */
export function recordRunOutcome(
  core: WalletCore,
  schedule_id: string,
  period: string,
  outcome: RunOutcome,
  skips_max: number,
  now_ms: number,
): "recorded" | "already" {
  return core.storage.transactionSync(() => {
    const sql = core.storage.sql;
    const run = one(
      sql.exec<{ status: string }>(
        "SELECT status FROM schedule_runs WHERE schedule_id = ? AND period = ?",
        schedule_id,
        period,
      ),
    );
    if (!run || run.status !== "due") return "already";
    sql.exec(
      `UPDATE schedule_runs SET status = ?, tx_ref = ?, reason_code = ?, reason = ?, resend_at_ms = NULL, updated_at_ms = ?
       WHERE schedule_id = ? AND period = ?`,
      outcome.kind,
      outcome.kind === "submitted" ? outcome.tx_ref : null,
      outcome.kind === "skipped" ? outcome.code : null,
      outcome.kind === "skipped" ? outcome.reason : null,
      now_ms,
      schedule_id,
      period,
    );
    const row = rowOf(core, schedule_id);
    if (!row) return "recorded";
    const skips = outcome.kind === "skipped" ? row.skips + 1 : 0;
    const pause = outcome.kind === "skipped" && skips >= skips_max && row.status === "active";
    if (pause) log.info("schedule paused after skipped runs", { schedule_id, skips });
    write(
      core,
      {
        ...row,
        skips,
        status: pause ? "paused" : row.status,
        paused_reason: pause ? SKIPS_PAUSE_REASON : row.paused_reason,
        next_run_at_ms: pause ? null : row.next_run_at_ms,
        updated_at_ms: now_ms,
        version: row.version + 1,
      },
      now_ms,
      outcome.kind === "skipped"
        ? { skipped: { period, code: outcome.code, reason: outcome.reason } }
        : {},
    );
    return "recorded";
  });
}
