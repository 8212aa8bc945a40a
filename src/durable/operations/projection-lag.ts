/**
 * The MongoDB projection's lag, as the wallets report it to shard zero of the
 * operator index (./object.ts): one row per wallet that is behind, at most
 * PROJECTION_LAG_WALLETS_MAX, reports past that counted as `capped`; readiness
 * reads one aggregate over them.
 */
import { PROJECTION_LAG_WALLETS_MAX } from "./limits";
import type { ProjectionLag, ProjectionLagReport } from "./types";

export function recordProjectionLag(
  storage: DurableObjectStorage,
  report: ProjectionLagReport,
): void {
  const now_ms = Date.now();
  const sql = storage.sql;
  storage.transactionSync(() => {
    const known =
      sql.exec("SELECT 1 FROM projection_lag WHERE user_id = ?", report.user_id).toArray().length >
      0;
    const rows = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM projection_lag").one().n;
    if (!known && rows >= PROJECTION_LAG_WALLETS_MAX) {
      sql.exec(
        "INSERT INTO projection_lag_overflow (id, last_at_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET last_at_ms = excluded.last_at_ms",
        now_ms,
      );
      return;
    }
    sql.exec(
      `INSERT INTO projection_lag (user_id, backlog, oldest_at_ms, failures, reported_at_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET backlog = excluded.backlog, oldest_at_ms = MIN(oldest_at_ms, excluded.oldest_at_ms),
         failures = excluded.failures, reported_at_ms = excluded.reported_at_ms`,
      report.user_id,
      report.backlog,
      report.oldest_at_ms,
      report.failures,
      now_ms,
    );
  });
}

export function clearProjectionLag(storage: DurableObjectStorage, user_id: string): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec("DELETE FROM projection_lag WHERE user_id = ?", user_id);
    // Room again below the cap: wallets that were not stored report again from their alarms.
    if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM projection_lag").one().n === 0)
      sql.exec("DELETE FROM projection_lag_overflow");
  });
}

/** One aggregate over the lagging wallets (readiness). */
export function projectionLagOf(storage: DurableObjectStorage): ProjectionLag {
  const sql = storage.sql;
  const agg = sql
    .exec<{ n: number; backlog: number; oldest: number | null }>(
      "SELECT COUNT(*) AS n, COALESCE(SUM(backlog), 0) AS backlog, MIN(oldest_at_ms) AS oldest FROM projection_lag",
    )
    .one();
  const capped = sql.exec("SELECT 1 FROM projection_lag_overflow").toArray().length > 0;
  return {
    wallets_behind: agg.n,
    backlog_changes: agg.backlog,
    oldest_at_ms: agg.oldest,
    capped,
  };
}
