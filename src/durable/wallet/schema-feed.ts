/**
 * The change feed's table across its rebuilds (steps 4, 6 and 11 of
 * ./schema.ts's MIGRATIONS). Append-only like every step: once deployed a
 * step is never edited.
 */
import type { Migration } from "../../lib/sqlite";

/**
 * After copying `changes` into `changes_new` (steps 4, 6 and 11): readers'
 * positions are seqs, so when every change was already pruned the new table
 * must still continue after the last seq handed out, or new changes would get
 * seqs at or below positions and never be delivered. A placeholder row at that
 * seq moves AUTOINCREMENT's counter; it is then removed.
 */
export const CONTINUE_FEED_SEQUENCE: readonly string[] = [
  `INSERT INTO changes_new (seq, entity, entity_key, version, body, created_at_ms)
   SELECT last, 'profile', '#sequence', 1, '{}', 0
   FROM (SELECT MAX(COALESCE((SELECT MAX(seq) FROM changes), 0), COALESCE((SELECT MAX(position) FROM feed_readers), 0)) AS last)
   WHERE last > 0 AND NOT EXISTS (SELECT 1 FROM changes_new WHERE seq = last)`,
  "DELETE FROM changes_new WHERE entity_key = '#sequence'",
];

/**
 * Step 11 (issue 23): the feed takes a user's saved recipients, schedules and
 * bulk batches, so watchers and the operator index hear a schedule's skipped
 * run or a batch's progress the way they hear a transaction's stage. SQLite
 * cannot change a CHECK in place: the table is rebuilt with its rows and its
 * sequence, in the step's transaction, as step 6 did.
 */
export const SCHEMA_STEP_11_FEED_ENTITIES: Migration = {
  version: 11,
  statements: [
    `CREATE TABLE changes_new (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         entity TEXT NOT NULL CHECK (entity IN ('profile', 'wallet', 'transaction', 'anomaly', 'audit', 'proposal', 'beneficiary', 'schedule', 'batch')),
         entity_key TEXT NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0),
         body TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         UNIQUE (entity, entity_key, version)
       )`,
    "INSERT INTO changes_new (seq, entity, entity_key, version, body, created_at_ms) SELECT seq, entity, entity_key, version, body, created_at_ms FROM changes",
    ...CONTINUE_FEED_SEQUENCE,
    "DROP TABLE changes",
    "ALTER TABLE changes_new RENAME TO changes",
  ],
};
