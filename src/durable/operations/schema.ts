/**
 * The Operations object's SQLite schema, one migration per step: provider
 * problems, the operator index, the projection's lag and the users index,
 * the anomalies' charge reference, and the move to shards (the old tables
 * kept as legacy_* until their rows are moved; ./index-move.ts).
 */
import type { Migration } from "../../lib/sqlite";
import { ACTS_INDEX_MIGRATION } from "./acts-index";
import { LEGACY_INDEX_MIGRATION } from "./index-move";
import { OPERATOR_ANOMALY_REF_MIGRATION, OPERATOR_INDEX_MIGRATION } from "./operator-index";

/** Exported for the migration test, which replays them over a database of before sharding. */
export const OPERATIONS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE provider_problems (
         provider TEXT NOT NULL,
         kind TEXT NOT NULL,
         detail TEXT NOT NULL,
         first_at_ms INTEGER NOT NULL,
         last_at_ms INTEGER NOT NULL,
         count INTEGER NOT NULL CHECK (count > 0),
         PRIMARY KEY (provider, kind)
       ) WITHOUT ROWID`,
    ],
  },
  OPERATOR_INDEX_MIGRATION,
  {
    version: 3,
    statements: [
      `CREATE TABLE projection_lag (
         user_id TEXT PRIMARY KEY,
         backlog INTEGER NOT NULL CHECK (backlog >= 0),
         oldest_at_ms INTEGER NOT NULL,
         failures INTEGER NOT NULL CHECK (failures >= 0),
         reported_at_ms INTEGER NOT NULL
       ) WITHOUT ROWID`,
      `CREATE TABLE projection_lag_overflow (id INTEGER PRIMARY KEY CHECK (id = 1), last_at_ms INTEGER NOT NULL)`,
      `CREATE TABLE users_index (user_id TEXT PRIMARY KEY, indexed_at_ms INTEGER NOT NULL) WITHOUT ROWID`,
    ],
  },
  OPERATOR_ANOMALY_REF_MIGRATION,
  LEGACY_INDEX_MIGRATION,
  ACTS_INDEX_MIGRATION,
];
