/**
 * The operator index inside one shard of it (an Operations object,
 * ./object.ts): what operators need across all wallets, fed by every wallet's
 * change feed (the `operations` reader), so nothing ever scans wallets. A
 * shard holds the transactions whose tx_ref hashes to it
 * (src/domain/operator.ts `shardOf`), with their settlement keys and
 * anomalies, so every rule below holds inside one shard.
 *
 * Invariants
 * - Idempotent under redelivery and reordering: a transaction row only moves
 *   to a higher version; a settlement is counted when its key (tx_ref,
 *   outcome) is first inserted, and the flow tables let a transaction reach
 *   each outcome at most once (at one version), so a duplicate never counts
 *   twice; an anomaly is one row per (tx_ref, kind, ref).
 * - Bounded: terminal transactions and their settlement keys are pruned
 *   OPERATOR_TERMINAL_RETAIN_MS after their last change (longer than the feed
 *   keeps history, so a redelivery always finds its key); the counters stay.
 *   Anomalies are capped at OPERATOR_ANOMALIES_KEEP_MAX, resolved ones first.
 *   Pending transactions are not capped: each one ends or is escalated.
 * - Rows moved in from the single index of old (`importRows`) are merged
 *   under the same rules and never counted: its counters stayed in the
 *   "global" object (shard 0), and the readers sum every shard's.
 * - Every ingest and every import is one storage transaction (the caller's).
 */
import {
  settlementOutcome,
  type AnomalyFact,
  type IndexedAnomaly,
  type IndexedTransaction,
  type IndexView,
  type KindCount,
  type IndexFact,
  type Page,
  type PendingByType,
  type SeriesPoint,
  type SettlementCount,
  type SettlementOutcome,
  type TransactionFact,
} from "../../domain/operator";
import type { TxType } from "../../domain/transactions";
import {
  OPERATOR_ANOMALIES_KEEP_MAX,
  OPERATOR_PRUNE_BATCH_MAX,
  OPERATOR_TERMINAL_RETAIN_MS,
} from "./limits";
import { one, type Migration } from "../../lib/sqlite";

export type {
  IndexedAnomaly,
  IndexedTransaction,
  Page,
  PendingByType,
  SettlementCount,
} from "../../domain/operator";

export const OPERATOR_INDEX_MIGRATION: Migration = {
  version: 2,
  statements: [
    `CREATE TABLE op_transactions (
       tx_ref TEXT PRIMARY KEY,
       owner_user_id TEXT NOT NULL,
       type TEXT NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
       stage TEXT NOT NULL,
       version INTEGER NOT NULL CHECK (version > 0),
       amount_minor INTEGER NOT NULL,
       currency TEXT NOT NULL,
       created_at_ms INTEGER NOT NULL,
       updated_at_ms INTEGER NOT NULL,
       deadline_at_ms INTEGER NOT NULL,
       escalated_at_ms INTEGER
     )`,
    "CREATE INDEX op_transactions_pending ON op_transactions (deadline_at_ms) WHERE status = 'PENDING'",
    "CREATE INDEX op_transactions_terminal ON op_transactions (updated_at_ms) WHERE status <> 'PENDING'",
    // One key per outcome a transaction reached; its insert is what counts it.
    `CREATE TABLE op_settlements (
       tx_ref TEXT NOT NULL,
       outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'reversed')),
       version INTEGER NOT NULL,
       type TEXT NOT NULL,
       at_ms INTEGER NOT NULL,
       PRIMARY KEY (tx_ref, outcome)
     ) WITHOUT ROWID`,
    "CREATE INDEX op_settlements_by_time ON op_settlements (at_ms)",
    `CREATE TABLE op_counters (
       type TEXT NOT NULL,
       outcome TEXT NOT NULL,
       count INTEGER NOT NULL CHECK (count >= 0),
       PRIMARY KEY (type, outcome)
     ) WITHOUT ROWID`,
    `CREATE TABLE op_anomalies (
       tx_ref TEXT NOT NULL,
       kind TEXT NOT NULL,
       detail TEXT NOT NULL,
       owner_user_id TEXT,
       created_at_ms INTEGER NOT NULL,
       resolved_at_ms INTEGER,
       PRIMARY KEY (tx_ref, kind)
     )`,
    "CREATE INDEX op_anomalies_open ON op_anomalies (created_at_ms) WHERE resolved_at_ms IS NULL",
  ],
};

/**
 * Anomalies name the provider charge they are about (`ref`, '' for the
 * transaction as a whole): one funding may owe back several payments. The
 * key gains `ref`; SQLite cannot alter a primary key, so the table is rebuilt.
 */
export const OPERATOR_ANOMALY_REF_MIGRATION: Migration = {
  version: 4,
  statements: [
    `CREATE TABLE op_anomalies_new (
       tx_ref TEXT NOT NULL,
       kind TEXT NOT NULL,
       ref TEXT NOT NULL DEFAULT '',
       detail TEXT NOT NULL,
       owner_user_id TEXT,
       created_at_ms INTEGER NOT NULL,
       resolved_at_ms INTEGER,
       PRIMARY KEY (tx_ref, kind, ref)
     )`,
    `INSERT INTO op_anomalies_new (tx_ref, kind, ref, detail, owner_user_id, created_at_ms, resolved_at_ms)
     SELECT tx_ref, kind, '', detail, owner_user_id, created_at_ms, resolved_at_ms FROM op_anomalies`,
    "DROP TABLE op_anomalies",
    "ALTER TABLE op_anomalies_new RENAME TO op_anomalies",
    "CREATE INDEX op_anomalies_open ON op_anomalies (created_at_ms) WHERE resolved_at_ms IS NULL",
  ],
};

/** A settlement key as stored: counted once, when first inserted. */
export type SettlementKey = {
  tx_ref: string;
  outcome: SettlementOutcome;
  version: number;
  type: TxType;
  at_ms: number;
};
/** An anomaly as stored, with when an operator (or its transaction's end) resolved it. */
export type StoredAnomaly = IndexedAnomaly & { resolved_at_ms: number | null };
/** Rows of the single index, moved to the shard that holds their tx_ref. */
export type MovedRows = {
  transactions: IndexedTransaction[];
  settlements: SettlementKey[];
  anomalies: StoredAnomaly[];
};

const TX_COLUMNS =
  "tx_ref, version, owner_user_id, type, status, stage, amount_minor, currency, created_at_ms, updated_at_ms, deadline_at_ms, escalated_at_ms";

export class OperatorIndex {
  constructor(private readonly sql: SqlStorage) {}

  /** Apply facts in order. Call inside one storage transaction. Returns the settlements newly counted. */
  ingest(facts: readonly IndexFact[], now_ms: number): number {
    let counted = 0;
    for (const fact of facts) {
      if (fact.fact === "transaction") counted += this.transaction(fact, now_ms);
      else this.anomaly(fact);
    }
    this.prune(now_ms);
    return counted;
  }

  /** The latest version wins whole; only a higher version replaces the row, so redeliveries and stragglers change nothing. */
  private upsertTransaction(tx: IndexedTransaction): void {
    this.sql.exec(
      `INSERT INTO op_transactions (${TX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tx_ref) DO UPDATE SET version = excluded.version, owner_user_id = excluded.owner_user_id, type = excluded.type,
         status = excluded.status, stage = excluded.stage, amount_minor = excluded.amount_minor, currency = excluded.currency,
         created_at_ms = excluded.created_at_ms, updated_at_ms = excluded.updated_at_ms, deadline_at_ms = excluded.deadline_at_ms,
         escalated_at_ms = excluded.escalated_at_ms
       WHERE excluded.version > op_transactions.version`,
      tx.tx_ref,
      tx.version,
      tx.owner_user_id,
      tx.type,
      tx.status,
      tx.stage,
      tx.amount_minor,
      tx.currency,
      tx.created_at_ms,
      tx.updated_at_ms,
      tx.deadline_at_ms,
      tx.escalated_at_ms,
    );
  }

  private transaction(fact: TransactionFact, now_ms: number): number {
    this.upsertTransaction(fact);
    const outcome = settlementOutcome(fact.status, fact.stage);
    if (outcome === null) return 0;
    // An escalation ends when its transaction does.
    this.sql.exec(
      "UPDATE op_anomalies SET resolved_at_ms = ? WHERE tx_ref = ? AND kind = 'escalated' AND resolved_at_ms IS NULL",
      now_ms,
      fact.tx_ref,
    );
    // RETURNING, not `rowsWritten`, which is not always 0 on a conflict (see the wallet's trail.ts).
    const key = this.sql
      .exec(
        "INSERT INTO op_settlements (tx_ref, outcome, version, type, at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tx_ref, outcome) DO NOTHING RETURNING tx_ref",
        fact.tx_ref,
        outcome,
        fact.version,
        fact.type,
        fact.updated_at_ms,
      )
      .toArray();
    if (key.length === 0) return 0;
    this.sql.exec(
      "INSERT INTO op_counters (type, outcome, count) VALUES (?, ?, 1) ON CONFLICT (type, outcome) DO UPDATE SET count = count + 1",
      fact.type,
      outcome,
    );
    return 1;
  }

  private anomaly(fact: AnomalyFact): void {
    // An escalation reported after its transaction ended (a redelivery) is born resolved;
    // an anomaly the wallet settled (a refund completed, a credit) arrives resolved, and
    // resolves the open row it names (the first resolution is kept).
    this.sql.exec(
      `INSERT INTO op_anomalies (tx_ref, kind, ref, detail, owner_user_id, created_at_ms, resolved_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, CASE WHEN ? = 'escalated' THEN (SELECT updated_at_ms FROM op_transactions WHERE tx_ref = ? AND status <> 'PENDING') END))
       ON CONFLICT (tx_ref, kind, ref) DO UPDATE SET resolved_at_ms = COALESCE(op_anomalies.resolved_at_ms, excluded.resolved_at_ms)`,
      fact.tx_ref,
      fact.kind,
      fact.ref,
      fact.detail,
      fact.owner_user_id,
      fact.created_at_ms,
      fact.resolved_at_ms ?? null,
      fact.kind,
      fact.tx_ref,
    );
  }

  /** Forget what is past retention, OPERATOR_PRUNE_BATCH_MAX rows per table per call. */
  prune(now_ms: number): void {
    const before = now_ms - OPERATOR_TERMINAL_RETAIN_MS;
    this.sql.exec(
      "DELETE FROM op_transactions WHERE tx_ref IN (SELECT tx_ref FROM op_transactions WHERE status <> 'PENDING' AND updated_at_ms < ? LIMIT ?)",
      before,
      OPERATOR_PRUNE_BATCH_MAX,
    );
    this.sql.exec(
      "DELETE FROM op_settlements WHERE (tx_ref, outcome) IN (SELECT tx_ref, outcome FROM op_settlements WHERE at_ms < ? LIMIT ?)",
      before,
      OPERATOR_PRUNE_BATCH_MAX,
    );
    this.sql.exec(
      "DELETE FROM op_anomalies WHERE (tx_ref, kind, ref) IN (SELECT tx_ref, kind, ref FROM op_anomalies WHERE resolved_at_ms < ? LIMIT ?)",
      before,
      OPERATOR_PRUNE_BATCH_MAX,
    );
    const count =
      one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM op_anomalies"))?.n ?? 0;
    if (count > OPERATOR_ANOMALIES_KEEP_MAX) {
      this.sql.exec(
        `DELETE FROM op_anomalies WHERE (tx_ref, kind, ref) IN (
           SELECT tx_ref, kind, ref FROM op_anomalies ORDER BY (resolved_at_ms IS NULL), created_at_ms LIMIT ?)`,
        Math.min(count - OPERATOR_ANOMALIES_KEEP_MAX, OPERATOR_PRUNE_BATCH_MAX),
      );
    }
  }

  /**
   * Rows of the single index of old, moved here (call inside one storage
   * transaction). Merged under the index's own rules and idempotent, so a
   * move repeated after a failure changes nothing: a transaction row only
   * moves to a higher version; a settlement key is inserted if absent and
   * never counted here (the single index's counters already hold it, and
   * the readers add them); an anomaly keeps the first resolution either side
   * knows of.
   */
  importRows(rows: MovedRows): void {
    for (const tx of rows.transactions) this.upsertTransaction(tx);
    for (const k of rows.settlements) {
      this.sql.exec(
        "INSERT INTO op_settlements (tx_ref, outcome, version, type, at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tx_ref, outcome) DO NOTHING",
        k.tx_ref,
        k.outcome,
        k.version,
        k.type,
        k.at_ms,
      );
    }
    for (const a of rows.anomalies) {
      this.sql.exec(
        `INSERT INTO op_anomalies (tx_ref, kind, ref, detail, owner_user_id, created_at_ms, resolved_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tx_ref, kind, ref) DO UPDATE SET resolved_at_ms = COALESCE(op_anomalies.resolved_at_ms, excluded.resolved_at_ms)`,
        a.tx_ref,
        a.kind,
        a.ref,
        a.detail,
        a.owner_user_id,
        a.created_at_ms,
        a.resolved_at_ms,
      );
    }
  }

  /**
   * An operator settled an anomaly (refunded the excess, credited by hand):
   * it leaves the open list and the gauge, and is pruned after retention. With
   * `ref`, only the anomaly about that provider charge; without it, every open
   * one of (tx_ref, kind). True if any was open. The wallet's own audit trail
   * keeps them.
   */
  resolveAnomaly(tx_ref: string, kind: string, ref: string | null, now_ms: number): boolean {
    const resolved =
      ref === null
        ? this.sql.exec(
            "UPDATE op_anomalies SET resolved_at_ms = ? WHERE tx_ref = ? AND kind = ? AND resolved_at_ms IS NULL RETURNING tx_ref",
            now_ms,
            tx_ref,
            kind,
          )
        : this.sql.exec(
            "UPDATE op_anomalies SET resolved_at_ms = ? WHERE tx_ref = ? AND kind = ? AND ref = ? AND resolved_at_ms IS NULL RETURNING tx_ref",
            now_ms,
            tx_ref,
            kind,
            ref,
          );
    return resolved.toArray().length > 0;
  }

  // ==== Reads ===================================================================

  /** This shard's part of the operator view at `now_ms`, each list at most `limit` rows. */
  view(now_ms: number, limit: number): IndexView {
    return {
      pending: this.pendingByType(now_ms),
      overdue: this.overdue(now_ms, limit),
      escalations: this.escalations(limit),
      anomalies: this.openAnomalies(limit),
      anomalies_by_kind: this.openAnomaliesByKind(),
      settlements: this.settlements(),
    };
  }

  pendingByType(now_ms: number): PendingByType[] {
    return this.sql
      .exec<PendingByType>(
        `SELECT type, COUNT(*) AS pending, SUM(deadline_at_ms < ?) AS overdue, SUM(escalated_at_ms IS NOT NULL) AS escalated,
                MIN(created_at_ms) AS oldest_created_at_ms
         FROM op_transactions WHERE status = 'PENDING' GROUP BY type ORDER BY type`,
        now_ms,
      )
      .toArray();
  }

  /** Pending past their expected time, the most overdue first. */
  overdue(now_ms: number, limit: number): Page<IndexedTransaction> {
    const total =
      one(
        this.sql.exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM op_transactions WHERE status = 'PENDING' AND deadline_at_ms < ?",
          now_ms,
        ),
      )?.n ?? 0;
    const data = this.sql
      .exec<IndexedTransaction>(
        `SELECT ${TX_COLUMNS} FROM op_transactions WHERE status = 'PENDING' AND deadline_at_ms < ? ORDER BY deadline_at_ms, tx_ref LIMIT ?`,
        now_ms,
        limit,
      )
      .toArray();
    return { total, data, has_more: total > data.length };
  }

  /** Escalated and still pending, the oldest escalation first. */
  escalations(limit: number): Page<IndexedTransaction> {
    const where = "status = 'PENDING' AND escalated_at_ms IS NOT NULL";
    const total =
      one(this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM op_transactions WHERE ${where}`))
        ?.n ?? 0;
    const data = this.sql
      .exec<IndexedTransaction>(
        `SELECT ${TX_COLUMNS} FROM op_transactions WHERE ${where} ORDER BY escalated_at_ms, tx_ref LIMIT ?`,
        limit,
      )
      .toArray();
    return { total, data, has_more: total > data.length };
  }

  /** Open anomalies, the oldest first. */
  openAnomalies(limit: number): Page<IndexedAnomaly> {
    const total =
      one(
        this.sql.exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM op_anomalies WHERE resolved_at_ms IS NULL",
        ),
      )?.n ?? 0;
    const data = this.sql
      .exec<IndexedAnomaly>(
        "SELECT tx_ref, kind, ref, detail, owner_user_id, created_at_ms FROM op_anomalies WHERE resolved_at_ms IS NULL ORDER BY created_at_ms, tx_ref, kind, ref LIMIT ?",
        limit,
      )
      .toArray();
    return { total, data, has_more: total > data.length };
  }

  openAnomaliesByKind(): KindCount[] {
    return this.sql
      .exec<KindCount>(
        "SELECT kind, COUNT(*) AS count FROM op_anomalies WHERE resolved_at_ms IS NULL GROUP BY kind ORDER BY kind",
      )
      .toArray();
  }

  /** Settlements since `since_ms`, counted per `bucket_ms` bucket (aligned to the epoch) and outcome. */
  settlementSeries(since_ms: number, bucket_ms: number): SeriesPoint[] {
    return this.sql
      .exec<SeriesPoint>(
        // Bound numbers arrive as REAL: cast, so the division is an integer one and the bucket aligned.
        "SELECT (at_ms / CAST(?1 AS INTEGER)) * CAST(?1 AS INTEGER) AS bucket_start_ms, outcome, COUNT(*) AS count FROM op_settlements WHERE at_ms >= ?2 GROUP BY 1, 2 ORDER BY 1, 2",
        bucket_ms,
        since_ms,
      )
      .toArray();
  }

  settlements(): SettlementCount[] {
    return this.sql
      .exec<SettlementCount>("SELECT type, outcome, count FROM op_counters ORDER BY type, outcome")
      .toArray();
  }
}
