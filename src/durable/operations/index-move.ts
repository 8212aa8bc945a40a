/**
 * The one-time move of the single operator index (and the users index) into
 * the shards. Before sharding, the one Operations object ("global") held every
 * row; now "global" is shard 0 of OPERATOR_INDEX_SHARDS Operations objects
 * (src/domain/operator.ts `shardName`), and each row belongs in the shard its
 * key hashes to.
 *
 * Migration 5 renames the single index's tables to `legacy_*` and creates
 * them afresh (in a fresh object the legacy tables are simply empty). Each
 * step then reads a bounded page of each legacy table, gives every shard its
 * part in one call (idempotent: the shard merges under the index's own rules
 * and counts nothing; shard 0's part is applied here, without a call), and
 * only once every shard took its part deletes those rows, in one storage
 * transaction. A step that fails deletes nothing and is simply run again.
 * The counters are not moved: they stay in op_counters here, in shard 0,
 * and the readers sum every shard's.
 *
 * Why nothing is counted twice: no shard takes a fact from any wallet until
 * the legacy index tables are empty (./object.ts `indexCheckIn`), so every
 * settlement key counted before is in its shard before a redelivered change
 * could meet its absence. Users need no such wait: the users listing reads
 * what is left in `legacy_users` beside the shards, and lists each user once.
 */
import {
  shardName,
  shardOf,
  type IndexedTransaction,
  type IndexedUser,
} from "../../domain/operator";
import type { Migration } from "../../lib/sqlite";
import { INDEX_MOVE_PAGE_MAX } from "./limits";
import type { MovedRows, SettlementKey, StoredAnomaly } from "./operator-index";

/** What a step moves into one shard: index rows and users. */
export type MovedBatch = MovedRows & { users: IndexedUser[] };

export type MoveProgress = {
  moved: { transactions: number; settlements: number; anomalies: number; users: number };
  /** Rows of the legacy index still here (facts wait for these), and users still here. */
  remaining: { index: number; users: number };
};

/** Legacy tables out of the way, the index's tables afresh, and the recorded shard count. */
export const LEGACY_INDEX_MIGRATION: Migration = {
  version: 5,
  statements: [
    // Index names stay with a renamed table; drop them so the fresh tables can have theirs.
    "DROP INDEX op_transactions_pending",
    "DROP INDEX op_transactions_terminal",
    "DROP INDEX op_settlements_by_time",
    "DROP INDEX op_anomalies_open",
    "ALTER TABLE op_transactions RENAME TO legacy_transactions",
    "ALTER TABLE op_settlements RENAME TO legacy_settlements",
    "ALTER TABLE op_anomalies RENAME TO legacy_anomalies",
    "ALTER TABLE users_index RENAME TO legacy_users",
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
    `CREATE TABLE op_settlements (
       tx_ref TEXT NOT NULL,
       outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'reversed')),
       version INTEGER NOT NULL,
       type TEXT NOT NULL,
       at_ms INTEGER NOT NULL,
       PRIMARY KEY (tx_ref, outcome)
     ) WITHOUT ROWID`,
    "CREATE INDEX op_settlements_by_time ON op_settlements (at_ms)",
    `CREATE TABLE op_anomalies (
       tx_ref TEXT NOT NULL,
       kind TEXT NOT NULL,
       ref TEXT NOT NULL DEFAULT '',
       detail TEXT NOT NULL,
       owner_user_id TEXT,
       created_at_ms INTEGER NOT NULL,
       resolved_at_ms INTEGER,
       PRIMARY KEY (tx_ref, kind, ref)
     )`,
    "CREATE INDEX op_anomalies_open ON op_anomalies (created_at_ms) WHERE resolved_at_ms IS NULL",
    `CREATE TABLE users_index (user_id TEXT PRIMARY KEY, indexed_at_ms INTEGER NOT NULL) WITHOUT ROWID`,
    // This object's place: which shard, of how many (the first layout it was given), and
    // whether it takes facts yet (only once the legacy index has moved out; see ./object.ts).
    `CREATE TABLE shard_layout (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       shard INTEGER NOT NULL CHECK (shard >= 0),
       shards INTEGER NOT NULL CHECK (shards > shard),
       open INTEGER NOT NULL CHECK (open IN (0, 1))
     )`,
  ],
};

/** Rows of the legacy index tables still here: while any remain, the shards take no facts. */
export function indexRowsLeft(sql: SqlStorage): number {
  return sql
    .exec<{ n: number }>(
      "SELECT (SELECT COUNT(*) FROM legacy_transactions) + (SELECT COUNT(*) FROM legacy_settlements) + (SELECT COUNT(*) FROM legacy_anomalies) AS n",
    )
    .one().n;
}

export function usersLeft(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM legacy_users").one().n;
}

const TX_COLUMNS =
  "tx_ref, version, owner_user_id, type, status, stage, amount_minor, currency, created_at_ms, updated_at_ms, deadline_at_ms, escalated_at_ms";

/**
 * One step: a page of each legacy table into the shards (one call per shard
 * touched; shard 0's part through `here`), then deleted here.
 */
export async function moveStep(
  storage: DurableObjectStorage,
  env: Env,
  shards: number,
  here: (batch: MovedBatch) => void,
): Promise<MoveProgress> {
  const sql = storage.sql;
  const page = INDEX_MOVE_PAGE_MAX;
  const transactions = sql
    .exec<IndexedTransaction>(
      `SELECT ${TX_COLUMNS} FROM legacy_transactions ORDER BY tx_ref LIMIT ?`,
      page,
    )
    .toArray();
  const settlements = sql
    .exec<SettlementKey>(
      "SELECT tx_ref, outcome, version, type, at_ms FROM legacy_settlements ORDER BY tx_ref, outcome LIMIT ?",
      page,
    )
    .toArray();
  const anomalies = sql
    .exec<StoredAnomaly>(
      "SELECT tx_ref, kind, ref, detail, owner_user_id, created_at_ms, resolved_at_ms FROM legacy_anomalies ORDER BY tx_ref, kind, ref LIMIT ?",
      page,
    )
    .toArray();
  const users = sql
    .exec<IndexedUser>(
      "SELECT user_id, indexed_at_ms FROM legacy_users ORDER BY user_id LIMIT ?",
      page,
    )
    .toArray();

  const batches = new Map<number, MovedBatch>();
  const batchOf = (key: string) => {
    const shard = shardOf(key, shards);
    let batch = batches.get(shard);
    if (!batch)
      batches.set(shard, (batch = { transactions: [], settlements: [], anomalies: [], users: [] }));
    return batch;
  };
  for (const tx of transactions) batchOf(tx.tx_ref).transactions.push(tx);
  for (const key of settlements) batchOf(key.tx_ref).settlements.push(key);
  for (const anomaly of anomalies) batchOf(anomaly.tx_ref).anomalies.push(anomaly);
  for (const user of users) batchOf(user.user_id).users.push(user);

  // Every shard must take its part before anything here is deleted; a failure throws and deletes nothing.
  await Promise.all(
    [...batches].map(async ([shard, batch]) => {
      if (shard === 0) here(batch);
      else await env.OPERATIONS.getByName(shardName(shard)).importRows(batch, { shard, shards });
    }),
  );

  storage.transactionSync(() => {
    for (const tx of transactions)
      sql.exec("DELETE FROM legacy_transactions WHERE tx_ref = ?", tx.tx_ref);
    for (const k of settlements)
      sql.exec(
        "DELETE FROM legacy_settlements WHERE tx_ref = ? AND outcome = ?",
        k.tx_ref,
        k.outcome,
      );
    for (const a of anomalies)
      sql.exec(
        "DELETE FROM legacy_anomalies WHERE tx_ref = ? AND kind = ? AND ref = ?",
        a.tx_ref,
        a.kind,
        a.ref,
      );
    for (const u of users) sql.exec("DELETE FROM legacy_users WHERE user_id = ?", u.user_id);
  });
  return {
    moved: {
      transactions: transactions.length,
      settlements: settlements.length,
      anomalies: anomalies.length,
      users: users.length,
    },
    remaining: { index: indexRowsLeft(sql), users: usersLeft(sql) },
  };
}
