/**
 * Bulk top-ups in the Wallet (issue 23): a batch and its lines, stored when
 * the batch starts (checked against the available balance in the same
 * storage transaction), released to the queue a few at a time by the alarm,
 * and each line's outcome as the queue's consumer reports it. Each line is
 * bought as an ordinary held payment under the Idempotency-Key derived from
 * (batch_id, line) (src/domain/bulk.ts lineIdempotencyKey): a re-sent
 * message or a doubled alarm finds the first purchase, never a second.
 *
 * Every change of a batch appends its new version to the change feed
 * (entity 'batch'), so a watcher of the batch hears counts and the lines
 * that changed.
 */
import {
  BULK_LINE_STATUSES,
  coveredPrefix,
  lineIdempotencyKey,
  releasePlan,
  type BatchChange,
  type BatchView,
  type BulkLineStatus,
  type BulkLineView,
  type BulkOrder,
} from "../../domain/bulk";
import { one } from "../../lib/sqlite";
import { appendChange, type Change } from "./changes";
import type { WalletCore } from "./core";

export type { BatchChange, BatchView, BulkLineStatus, BulkLineView };
import {
  BULK_BATCHES_RUNNING_MAX,
  BULK_LINE_RESEND_AFTER_MS,
  BULK_LINES_IN_FLIGHT_MAX,
  BULK_LINES_PER_TICK,
  BULK_REASON_MAX_CHARS,
} from "./limits";

export type StartBatchInput = {
  batch_id: string;
  partial: boolean;
  lines: { line: number; order: BulkOrder; price_minor: number }[];
};

export type StartBatchOutcome =
  | { outcome: "started"; batch: BatchView }
  | {
      outcome: "not_covered";
      total_minor: number;
      available_minor: number;
      committed_minor: number;
    }
  | { outcome: "too_many_running"; limit: number }
  | { outcome: "exists" }
  | { outcome: "no_wallet" };

/** A released line as the consumer needs it: what to buy and under which key. */
export type LineToRun = { order: BulkOrder; idempotency_key: string; state: string };

export type LineReport =
  | { kind: "opened"; tx_ref: string }
  | { kind: "refused"; code: string; reason: string; tx_ref?: string };

type LineRow = {
  line: number;
  order_json: string;
  price_minor: number;
  state: string;
  tx_ref: string | null;
  code: string | null;
  reason: string | null;
  tx_status: string | null;
};

/** A line's status: its state, and for a reported line its transaction's status now. */
const STATUS_SQL = `CASE
  WHEN l.state != 'done' THEN l.state
  WHEN t.status = 'PENDING' THEN 'pending'
  WHEN t.status = 'SUCCESS' THEN 'succeeded'
  WHEN t.status = 'FAILED' THEN 'failed'
  ELSE 'refused' END`;

function lineStatus(row: LineRow): BulkLineStatus {
  if (row.state !== "done") return row.state as BulkLineStatus;
  if (row.tx_status === "PENDING") return "pending";
  if (row.tx_status === "SUCCESS") return "succeeded";
  if (row.tx_status === "FAILED") return "failed";
  return "refused";
}

const lineView = (row: LineRow): BulkLineView => ({
  line: row.line,
  order: JSON.parse(row.order_json) as BulkOrder,
  price_minor: row.price_minor,
  status: lineStatus(row),
  tx_ref: row.tx_ref,
  code: row.code,
  reason: row.reason,
});

/** Lines still to be bought (queued or in flight): what running batches have promised of the balance. */
function committedMinor(sql: SqlStorage): number {
  return (
    one(
      sql.exec<{ total: number | null }>(
        "SELECT SUM(price_minor) AS total FROM bulk_lines WHERE state IN ('queued', 'sending')",
      ),
    )?.total ?? 0
  );
}

export function batchView(core: WalletCore, batch_id: string): BatchView | null {
  const sql = core.storage.sql;
  const batch = one(
    sql.exec<{
      batch_id: string;
      lines: number;
      total_minor: number;
      partial: number;
      created_at_ms: number;
      updated_at_ms: number;
      version: number;
    }>("SELECT * FROM bulk_batches WHERE batch_id = ?", batch_id),
  );
  if (!batch) return null;
  const counts = Object.fromEntries(BULK_LINE_STATUSES.map((s) => [s, 0])) as Record<
    BulkLineStatus,
    number
  >;
  for (const row of sql.exec<{ status: BulkLineStatus; n: number }>(
    `SELECT ${STATUS_SQL} AS status, COUNT(*) AS n FROM bulk_lines l
     LEFT JOIN transactions t ON t.tx_ref = l.tx_ref WHERE l.batch_id = ? GROUP BY 1`,
    batch_id,
  ))
    counts[row.status] = row.n;
  return {
    batch_id: batch.batch_id,
    owner_user_id: core.ledger.owner(),
    status: counts.queued + counts.sending > 0 ? "running" : "done",
    lines: batch.lines,
    total_minor: batch.total_minor,
    partial: batch.partial === 1,
    counts,
    created_at_ms: batch.created_at_ms,
    updated_at_ms: batch.updated_at_ms,
    version: batch.version,
  };
}

/** A page of a batch's lines, in line order, after `after_line`. */
export function batchLines(
  core: WalletCore,
  batch_id: string,
  after_line: number,
  limit: number,
): BulkLineView[] {
  return core.storage.sql
    .exec<LineRow>(
      `SELECT l.line, l.order_json, l.price_minor, l.state, l.tx_ref, l.code, l.reason, t.status AS tx_status
       FROM bulk_lines l LEFT JOIN transactions t ON t.tx_ref = l.tx_ref
       WHERE l.batch_id = ? AND l.line > ? ORDER BY l.line LIMIT ?`,
      batch_id,
      after_line,
      limit,
    )
    .toArray()
    .map(lineView);
}

/** The new version of a batch on the feed, with the lines that changed. Inside the storage transaction. */
function bumpBatch(core: WalletCore, batch_id: string, lines: number[], now_ms: number): void {
  const sql = core.storage.sql;
  sql.exec(
    "UPDATE bulk_batches SET version = version + 1, updated_at_ms = ? WHERE batch_id = ?",
    now_ms,
    batch_id,
  );
  const view = batchView(core, batch_id);
  if (!view) return;
  const changed = lines.flatMap((line) => batchLines(core, batch_id, line - 1, 1));
  appendChange<Extract<Change, { entity: "batch" }>>(
    sql,
    "batch",
    batch_id,
    view.version,
    { ...view, changed },
    now_ms,
  );
}

/**
 * Store a batch when the available balance, less what running batches still
 * have to buy, covers its total; with `partial`, the prefix it covers is
 * queued and the rest skipped. One storage transaction: two batches started
 * at once are checked one after the other.
 */
export function startBatch(
  core: WalletCore,
  input: StartBatchInput,
  now_ms: number,
): StartBatchOutcome {
  return core.storage.transactionSync((): StartBatchOutcome => {
    const sql = core.storage.sql;
    if (!core.ledger.wallet()) return { outcome: "no_wallet" };
    if (one(sql.exec("SELECT 1 AS x FROM bulk_batches WHERE batch_id = ?", input.batch_id)))
      return { outcome: "exists" };
    const running =
      one(
        sql.exec<{ n: number }>(
          "SELECT COUNT(DISTINCT batch_id) AS n FROM bulk_lines WHERE state IN ('queued', 'sending')",
        ),
      )?.n ?? 0;
    if (running >= BULK_BATCHES_RUNNING_MAX)
      return { outcome: "too_many_running", limit: BULK_BATCHES_RUNNING_MAX };
    const committed_minor = committedMinor(sql);
    const available_minor = Math.max(0, core.ledger.availableMinor() - committed_minor);
    const prices = input.lines.map((l) => l.price_minor);
    const total_minor = prices.reduce((a, b) => a + b, 0);
    const covered = coveredPrefix(prices, available_minor);
    if (covered === 0 || (!input.partial && covered < prices.length))
      return { outcome: "not_covered", total_minor, available_minor, committed_minor };
    sql.exec(
      "INSERT INTO bulk_batches (batch_id, lines, total_minor, partial, created_at_ms, updated_at_ms, version) VALUES (?, ?, ?, ?, ?, ?, 0)",
      input.batch_id,
      input.lines.length,
      total_minor,
      input.partial ? 1 : 0,
      now_ms,
      now_ms,
    );
    input.lines.forEach((l, seq) => {
      const skipped = seq >= covered;
      sql.exec(
        "INSERT INTO bulk_lines (batch_id, line, seq, order_json, price_minor, state, code, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        input.batch_id,
        l.line,
        seq,
        JSON.stringify(l.order),
        l.price_minor,
        skipped ? "skipped" : "queued",
        skipped ? "not_covered" : null,
        skipped ? "The available balance did not cover this line after the lines before it." : null,
      );
    });
    bumpBatch(core, input.batch_id, [], now_ms);
    return { outcome: "started", batch: batchView(core, input.batch_id) as BatchView };
  });
}

/**
 * The alarm's share: lines released now (new ones by the drain's rule, and
 * lines released long ago and never reported, again), marked `sending` in one
 * storage transaction. The caller sends them to the queue after it commits.
 */
export function releaseLines(
  core: WalletCore,
  now_ms: number,
): { batch_id: string; line: number }[] {
  return core.storage.transactionSync(() => {
    const sql = core.storage.sql;
    const released: { batch_id: string; line: number }[] = [];
    const stale = sql
      .exec<{ batch_id: string; line: number }>(
        "SELECT batch_id, line FROM bulk_lines WHERE state = 'sending' AND released_at_ms <= ? ORDER BY released_at_ms LIMIT ?",
        now_ms - BULK_LINE_RESEND_AFTER_MS,
        BULK_LINES_PER_TICK,
      )
      .toArray();
    for (const s of stale) {
      sql.exec(
        "UPDATE bulk_lines SET released_at_ms = ?, sends = sends + 1 WHERE batch_id = ? AND line = ?",
        now_ms,
        s.batch_id,
        s.line,
      );
      released.push(s);
    }
    const batches = sql
      .exec<{ batch_id: string; queued: number; in_flight: number }>(
        `SELECT l.batch_id,
                SUM(CASE WHEN l.state = 'queued' THEN 1 ELSE 0 END) AS queued,
                SUM(CASE WHEN l.state = 'sending' THEN 1 ELSE 0 END) AS in_flight
         FROM bulk_lines l JOIN bulk_batches b ON b.batch_id = l.batch_id
         WHERE l.state IN ('queued', 'sending')
         GROUP BY l.batch_id ORDER BY MIN(b.created_at_ms), l.batch_id`,
      )
      .toArray();
    const plan = releasePlan(batches, BULK_LINES_PER_TICK - stale.length, BULK_LINES_IN_FLIGHT_MAX);
    for (const [batch_id, n] of plan) {
      if (n === 0) continue;
      const lines = sql
        .exec<{ line: number }>(
          "SELECT line FROM bulk_lines WHERE batch_id = ? AND state = 'queued' ORDER BY seq LIMIT ?",
          batch_id,
          n,
        )
        .toArray()
        .map((r) => r.line);
      for (const line of lines) {
        sql.exec(
          "UPDATE bulk_lines SET state = 'sending', released_at_ms = ?, sends = sends + 1 WHERE batch_id = ? AND line = ?",
          now_ms,
          batch_id,
          line,
        );
        released.push({ batch_id, line });
      }
      bumpBatch(core, batch_id, lines, now_ms);
    }
    return released;
  });
}

/**
 * When the alarm should next release: now, while a batch has queued lines
 * and room in flight; else when the oldest unreported line is due again.
 */
export function bulkDueAt(core: WalletCore, now_ms: number): number | null {
  const sql = core.storage.sql;
  const ready = one(
    sql.exec<{ x: number }>(
      `SELECT 1 AS x FROM bulk_lines WHERE state IN ('queued', 'sending') GROUP BY batch_id
       HAVING SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) > 0
          AND SUM(CASE WHEN state = 'sending' THEN 1 ELSE 0 END) < ? LIMIT 1`,
      BULK_LINES_IN_FLIGHT_MAX,
    ),
  );
  if (ready) return now_ms;
  const oldest = one(
    sql.exec<{ at: number | null }>(
      "SELECT MIN(released_at_ms) AS at FROM bulk_lines WHERE state = 'sending'",
    ),
  )?.at;
  return oldest === null || oldest === undefined ? null : oldest + BULK_LINE_RESEND_AFTER_MS;
}

/** What a released line buys, or null for a line this wallet does not have. */
export function lineToRun(core: WalletCore, batch_id: string, line: number): LineToRun | null {
  const row = one(
    core.storage.sql.exec<{ order_json: string; state: string }>(
      "SELECT order_json, state FROM bulk_lines WHERE batch_id = ? AND line = ?",
      batch_id,
      line,
    ),
  );
  if (!row) return null;
  return {
    order: JSON.parse(row.order_json) as BulkOrder,
    idempotency_key: lineIdempotencyKey(batch_id, line),
    state: row.state,
  };
}

/**
 * The consumer's report of a line: recorded once (a second report, from a
 * re-sent message, finds it done and changes nothing). Only a released line
 * is reported. Returns whether this report was the one recorded.
 */
export function reportLine(
  core: WalletCore,
  batch_id: string,
  line: number,
  report: LineReport,
  now_ms: number,
): "recorded" | "already" | "unknown" {
  return core.storage.transactionSync(() => {
    const sql = core.storage.sql;
    const row = one(
      sql.exec<{ state: string }>(
        "SELECT state FROM bulk_lines WHERE batch_id = ? AND line = ?",
        batch_id,
        line,
      ),
    );
    if (!row) return "unknown";
    if (row.state !== "sending") return "already";
    sql.exec(
      "UPDATE bulk_lines SET state = 'done', tx_ref = ?, code = ?, reason = ? WHERE batch_id = ? AND line = ?",
      report.tx_ref ?? null,
      report.kind === "refused" ? report.code : null,
      report.kind === "refused" ? report.reason.slice(0, BULK_REASON_MAX_CHARS) : null,
      batch_id,
      line,
    );
    bumpBatch(core, batch_id, [line], now_ms);
    return "recorded";
  });
}
