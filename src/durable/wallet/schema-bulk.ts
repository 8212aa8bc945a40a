/**
 * The Wallet schema's step 13 (issue 23, bulk top-ups), listed in
 * ./schema.ts's MIGRATIONS. Append-only like every step: once deployed it is
 * never edited.
 */
import type { Migration } from "../../lib/sqlite";

export const SCHEMA_STEP_13_BULK: Migration = {
  version: 13,
  statements: [
    // A batch: its lines were all validated and priced before it was stored;
    // `total_minor` is what they cost when it started.
    `CREATE TABLE IF NOT EXISTS bulk_batches (
         batch_id TEXT PRIMARY KEY,
         lines INTEGER NOT NULL CHECK (lines > 0),
         total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
         partial INTEGER NOT NULL CHECK (partial IN (0, 1)),
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         version INTEGER NOT NULL CHECK (version >= 0)
       )`,
    "CREATE INDEX IF NOT EXISTS bulk_batches_by_time ON bulk_batches (created_at_ms, batch_id)",
    // One row per line: queued (waiting for the alarm), sending (released
    // to the queue at released_at_ms, not yet reported), done (reported:
    // tx_ref when a held payment was opened, code and reason when refused),
    // skipped (a partial batch's line the balance did not cover).
    `CREATE TABLE IF NOT EXISTS bulk_lines (
         batch_id TEXT NOT NULL REFERENCES bulk_batches (batch_id),
         line INTEGER NOT NULL CHECK (line >= 0),
         seq INTEGER NOT NULL CHECK (seq >= 0),
         order_json TEXT NOT NULL,
         price_minor INTEGER NOT NULL CHECK (price_minor > 0),
         state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'done', 'skipped')),
         released_at_ms INTEGER,
         sends INTEGER NOT NULL DEFAULT 0 CHECK (sends >= 0),
         tx_ref TEXT,
         code TEXT,
         reason TEXT,
         PRIMARY KEY (batch_id, line)
       )`,
    "CREATE INDEX IF NOT EXISTS bulk_lines_by_state ON bulk_lines (state, batch_id, seq)",
    // A reported line never goes back (a re-sent message reports again: the first report stands).
    `CREATE TRIGGER IF NOT EXISTS bulk_lines_reported_once BEFORE UPDATE OF state ON bulk_lines
       WHEN OLD.state IN ('done', 'skipped')
       BEGIN SELECT RAISE(ABORT, 'bulk_line_already_reported'); END`,
  ],
};
