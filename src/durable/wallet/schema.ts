/**
 * The Wallet object's storage schema: versioned, append-only migrations (a
 * deployed step is never edited) and the SQL mirror of the flow tables.
 */
import { flowRows } from "../../domain/flows";
import { one, type Migration } from "../../lib/sqlite";
import { CONTINUE_FEED_SEQUENCE, SCHEMA_STEP_11_FEED_ENTITIES } from "./schema-feed";
import { SCHEMA_STEP_9_TIERS, SCHEMA_STEP_10_TIER_ACT } from "./schema-tiers";
import { SCHEMA_STEP_13_BULK } from "./schema-bulk";
import { SCHEMA_STEP_12_SCHEDULES } from "./schema-schedules";

/**
 * The flow tables' guards (see step 2): a row is created only in its flow's
 * initial stage, moves only along a listed transition with the matching
 * status, a terminal row never changes except by a listed transition, and a
 * hold leaves 'pending' once. Created by step 2 and again by step 6, which
 * rebuilds the tables they are on; the text is the same in both.
 */
const FLOW_TRIGGERS: readonly string[] = [
  `CREATE TRIGGER transactions_created_in_initial_stage BEFORE INSERT ON transactions
   WHEN NOT EXISTS (SELECT 1 FROM flow_stages
                    WHERE type = NEW.type AND stage = NEW.stage AND status = NEW.status AND initial = 1)
   BEGIN SELECT RAISE(ABORT, 'transition_not_allowed'); END`,
  `CREATE TRIGGER transactions_move_along_flow BEFORE UPDATE OF type, stage, status ON transactions
   WHEN NEW.type IS NOT OLD.type
     OR NOT EXISTS (SELECT 1 FROM flow_stages WHERE type = NEW.type AND stage = NEW.stage AND status = NEW.status)
     OR (NEW.stage IS NOT OLD.stage AND NOT EXISTS (SELECT 1 FROM flow_transitions
                                                    WHERE type = NEW.type AND from_stage = OLD.stage AND to_stage = NEW.stage))
   BEGIN SELECT RAISE(ABORT, 'transition_not_allowed'); END`,
  `CREATE TRIGGER transactions_terminal_frozen BEFORE UPDATE ON transactions
   WHEN OLD.status IS NOT 'PENDING' AND NEW.stage IS OLD.stage
   BEGIN SELECT RAISE(ABORT, 'transaction_already_terminal'); END`,
  // A hold leaves 'pending' once, for 'posted' or 'voided'.
  `CREATE TRIGGER holds_resolve_once BEFORE UPDATE ON holds
   WHEN OLD.status IS NOT 'pending' OR NEW.status NOT IN ('posted', 'voided')
   BEGIN SELECT RAISE(ABORT, 'hold_already_resolved'); END`,
];

/** The columns of `transactions` after step 2 (step 6 copies them by name). */
const TX_COLUMNS =
  "tx_ref, type, status, stage, amount_minor, fee_minor, currency, provider_ref, payment_link, failure_reason, details_json, created_at_ms, updated_at_ms, settled_at_ms, deadline_at_ms, next_check_at_ms, check_attempts, escalated_at_ms, version";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE profile (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         user_id TEXT NOT NULL,
         email TEXT NOT NULL,
         full_name TEXT,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE wallet (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         currency TEXT NOT NULL,
         balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0),
         is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE transactions (
         tx_ref TEXT PRIMARY KEY,
         type TEXT NOT NULL CHECK (type IN ('FUND', 'WITHDRAW', 'AIRTIME', 'DATA')),
         status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
         stage TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         fee_minor INTEGER NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
         currency TEXT NOT NULL,
         provider_ref TEXT,
         payment_link TEXT,
         failure_reason TEXT,
         details_json TEXT NOT NULL DEFAULT '{}',
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER,
         deadline_at_ms INTEGER NOT NULL,
         next_check_at_ms INTEGER,
         check_attempts INTEGER NOT NULL DEFAULT 0,
         escalated_at_ms INTEGER
       )`,
      "CREATE INDEX transactions_by_time ON transactions (created_at_ms DESC, tx_ref DESC)",
      "CREATE INDEX transactions_due ON transactions (next_check_at_ms) WHERE status = 'PENDING'",
      `CREATE TABLE holds (
         tx_ref TEXT PRIMARY KEY REFERENCES transactions (tx_ref),
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         status TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'voided')),
         created_at_ms INTEGER NOT NULL,
         resolved_at_ms INTEGER
       )`,
      "CREATE INDEX holds_open ON holds (status) WHERE status = 'pending'",
      `CREATE TABLE journal (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         tx_ref TEXT NOT NULL REFERENCES transactions (tx_ref),
         entry TEXT NOT NULL CHECK (entry IN ('credit', 'debit')),
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         balance_after_minor INTEGER NOT NULL CHECK (balance_after_minor >= 0),
         created_at_ms INTEGER NOT NULL,
         UNIQUE (tx_ref, entry)
       )`,
      `CREATE TABLE idempotency (
         key TEXT PRIMARY KEY,
         fingerprint TEXT NOT NULL,
         tx_ref TEXT,
         state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
         status_code INTEGER,
         response_json TEXT,
         locked_until_ms INTEGER NOT NULL,
         created_at_ms INTEGER NOT NULL
       )`,
      "CREATE INDEX idempotency_by_age ON idempotency (created_at_ms)",
      `CREATE TABLE provider_events (
         event_key TEXT PRIMARY KEY,
         tx_ref TEXT NOT NULL,
         outcome TEXT NOT NULL,
         processed_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE anomalies (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         tx_ref TEXT NOT NULL,
         kind TEXT NOT NULL,
         detail TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         UNIQUE (tx_ref, kind)
       )`,
    ],
  },
  {
    version: 2,
    statements: [
      // Every visible change bumps a version; readers of the change feed use it
      // to drop duplicates and to never move backwards.
      "ALTER TABLE profile ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
      "ALTER TABLE wallet ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
      "ALTER TABLE transactions ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
      // The change feed: every new version of a profile, wallet or transaction,
      // appended in the same storage transaction as the change itself.
      `CREATE TABLE changes (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         entity TEXT NOT NULL CHECK (entity IN ('profile', 'wallet', 'transaction')),
         entity_key TEXT NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0),
         body TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         UNIQUE (entity, entity_key, version)
       )`,
      // Each reader's position in the feed (the last seq it has acknowledged).
      `CREATE TABLE feed_readers (
         reader TEXT PRIMARY KEY,
         position INTEGER NOT NULL CHECK (position >= 0),
         failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
         retry_at_ms INTEGER
       )`,
      // The SQL mirror of the flow tables in src/domain/flows.ts, rewritten from
      // the code whenever the code's tables change (syncFlows below).
      `CREATE TABLE flow_stages (
         type TEXT NOT NULL,
         stage TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
         initial INTEGER NOT NULL CHECK (initial IN (0, 1)),
         PRIMARY KEY (type, stage)
       ) WITHOUT ROWID`,
      `CREATE TABLE flow_transitions (
         type TEXT NOT NULL,
         from_stage TEXT NOT NULL,
         to_stage TEXT NOT NULL,
         PRIMARY KEY (type, from_stage, to_stage)
       ) WITHOUT ROWID`,
      "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
      // SQLite cannot add a CHECK to an existing table; these triggers are the
      // CHECK's stronger form: a row is created only in its flow's initial stage,
      // moves only along a listed transition with the matching status, and a
      // terminal row never changes except by a listed transition. A write that
      // breaks this aborts the whole storage transaction it is part of.
      ...FLOW_TRIGGERS,
    ],
  },
  {
    version: 3,
    statements: [
      // When the callback page last asked for a funding's verification: at most
      // one per CALLBACK_VERIFY_INTERVAL_MS (rows older than that are deleted).
      "CREATE TABLE callback_verifies (tx_ref TEXT PRIMARY KEY, requested_at_ms INTEGER NOT NULL)",
    ],
  },
  {
    version: 4,
    statements: [
      // Anomalies enter the change feed (for the operator index). SQLite cannot
      // alter a CHECK, so the table is rebuilt the documented way: new table,
      // copy, drop, rename.
      `CREATE TABLE changes_new (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         entity TEXT NOT NULL CHECK (entity IN ('profile', 'wallet', 'transaction', 'anomaly')),
         entity_key TEXT NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0),
         body TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         UNIQUE (entity, entity_key, version)
       )`,
      "INSERT INTO changes_new (seq, entity, entity_key, version, body, created_at_ms) SELECT seq, entity, entity_key, version, body, created_at_ms FROM changes",
      // Readers' positions are seqs: when every change was already pruned, the
      // new table must still continue after the last seq handed out, or new
      // changes would get seqs at or below positions and never be delivered. A
      // placeholder row at that seq moves AUTOINCREMENT's counter; it is then removed.
      ...CONTINUE_FEED_SEQUENCE,
      "DROP TABLE changes",
      "ALTER TABLE changes_new RENAME TO changes",
    ],
  },
  {
    version: 5,
    statements: [
      // An anomaly about money received names the provider's charge (`ref`):
      // one funding may receive several payments (an underpayment, then the
      // full one, then a second one), and each is owed to someone on its own
      // (a refund is made per charge). '' for anomalies about the transaction
      // as a whole (an escalation). The unique key gains `ref`: SQLite cannot
      // alter a table's UNIQUE, so the table is rebuilt (new, copy, drop, rename).
      `CREATE TABLE anomalies_new (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         tx_ref TEXT NOT NULL,
         kind TEXT NOT NULL,
         ref TEXT NOT NULL DEFAULT '',
         detail TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         UNIQUE (tx_ref, kind, ref)
       )`,
      "INSERT INTO anomalies_new (id, tx_ref, kind, ref, detail, created_at_ms) SELECT id, tx_ref, kind, '', detail, created_at_ms FROM anomalies",
      "DROP TABLE anomalies",
      "ALTER TABLE anomalies_new RENAME TO anomalies",
      "CREATE INDEX anomalies_by_ref ON anomalies (tx_ref, ref)",
    ],
  },
  {
    version: 6,
    statements: [
      // New transaction types (operators' adjustments and refunds, bills) and
      // new feed entities (audit entries, proposals) without a table rebuild
      // each time. A transaction's type no longer needs a CHECK of its own:
      // the flow triggers already refuse a row whose (type, stage) is not in
      // the flow tables, so the flow tables (src/domain/flows.ts) are the one
      // list of types. The feed's entities stay a closed list, widened here.
      //
      // SQLite cannot drop a CHECK, so `transactions` is rebuilt, and with it
      // the two tables that reference it (holds, journal): the children are
      // copied into new tables that reference the new parent, the old ones
      // are dropped children first (so no foreign key is ever left dangling),
      // and renaming the new parent to `transactions` rewrites the children's
      // references to the final name. Indexes and triggers go with a dropped
      // table and are created again, unchanged.
      `CREATE TABLE transactions_new (
         tx_ref TEXT PRIMARY KEY,
         type TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
         stage TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         fee_minor INTEGER NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
         currency TEXT NOT NULL,
         provider_ref TEXT,
         payment_link TEXT,
         failure_reason TEXT,
         details_json TEXT NOT NULL DEFAULT '{}',
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER,
         deadline_at_ms INTEGER NOT NULL,
         next_check_at_ms INTEGER,
         check_attempts INTEGER NOT NULL DEFAULT 0,
         escalated_at_ms INTEGER,
         version INTEGER NOT NULL DEFAULT 1
       )`,
      `INSERT INTO transactions_new (${TX_COLUMNS}) SELECT ${TX_COLUMNS} FROM transactions`,
      `CREATE TABLE holds_new (
         tx_ref TEXT PRIMARY KEY REFERENCES transactions_new (tx_ref),
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         status TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'voided')),
         created_at_ms INTEGER NOT NULL,
         resolved_at_ms INTEGER
       )`,
      "INSERT INTO holds_new (tx_ref, amount_minor, status, created_at_ms, resolved_at_ms) SELECT tx_ref, amount_minor, status, created_at_ms, resolved_at_ms FROM holds",
      `CREATE TABLE journal_new (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         tx_ref TEXT NOT NULL REFERENCES transactions_new (tx_ref),
         entry TEXT NOT NULL CHECK (entry IN ('credit', 'debit')),
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         balance_after_minor INTEGER NOT NULL CHECK (balance_after_minor >= 0),
         created_at_ms INTEGER NOT NULL,
         UNIQUE (tx_ref, entry)
       )`,
      // Journal rows are never deleted, so copying them with their seqs keeps
      // AUTOINCREMENT's counter at the last seq handed out.
      "INSERT INTO journal_new (seq, tx_ref, entry, amount_minor, balance_after_minor, created_at_ms) SELECT seq, tx_ref, entry, amount_minor, balance_after_minor, created_at_ms FROM journal",
      "DROP TABLE journal",
      "DROP TABLE holds",
      "DROP TABLE transactions",
      "ALTER TABLE transactions_new RENAME TO transactions",
      "ALTER TABLE holds_new RENAME TO holds",
      "ALTER TABLE journal_new RENAME TO journal",
      "CREATE INDEX transactions_by_time ON transactions (created_at_ms DESC, tx_ref DESC)",
      "CREATE INDEX transactions_due ON transactions (next_check_at_ms) WHERE status = 'PENDING'",
      "CREATE INDEX holds_open ON holds (status) WHERE status = 'pending'",
      ...FLOW_TRIGGERS,
      // The feed, as step 4 rebuilt it, with two more entities.
      `CREATE TABLE changes_new (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         entity TEXT NOT NULL CHECK (entity IN ('profile', 'wallet', 'transaction', 'anomaly', 'audit', 'proposal')),
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
  },
  {
    version: 7,
    statements: [
      // Operators' acts (src/domain/acts.ts). A freeze: one row while the
      // wallet is frozen, none otherwise; `reason` is what the user is told.
      `CREATE TABLE wallet_freeze (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         mode TEXT NOT NULL CHECK (mode IN ('no_debit', 'full')),
         reason TEXT NOT NULL,
         internal_reason TEXT NOT NULL,
         by_operator TEXT NOT NULL,
         at_ms INTEGER NOT NULL
       )`,
      // Proposals awaiting a second operator (four eyes), bound to a
      // transaction's version when they act on one.
      `CREATE TABLE proposals (
         id TEXT PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('adjust_credit', 'adjust_debit', 'decide', 'refund', 'credit_excess')),
         payload_json TEXT NOT NULL,
         tx_ref TEXT,
         tx_version INTEGER,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         proposed_by TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         expires_at_ms INTEGER NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'failed')),
         decided_by TEXT,
         decided_at_ms INTEGER,
         result_json TEXT,
         version INTEGER NOT NULL CHECK (version > 0)
       )`,
      "CREATE INDEX proposals_by_time ON proposals (created_at_ms DESC, id DESC)",
      // A proposal is decided once: pending -> approved, rejected, expired
      // (or straight to executed/failed); approved -> executed or failed.
      // Nothing else, and nothing after.
      `CREATE TRIGGER proposals_decided_once BEFORE UPDATE ON proposals
       WHEN NOT ((OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected', 'expired', 'executed', 'failed'))
              OR (OLD.status = 'approved' AND NEW.status IN ('executed', 'failed')))
       BEGIN SELECT RAISE(ABORT, 'proposal_already_decided'); END`,
      "CREATE TRIGGER proposals_never_deleted BEFORE DELETE ON proposals BEGIN SELECT RAISE(ABORT, 'proposals_append_only'); END",
      // The audit log: append-only, refused by storage itself.
      `CREATE TABLE audit_log (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         operator_id TEXT NOT NULL,
         operator_role TEXT NOT NULL,
         at_ms INTEGER NOT NULL,
         action TEXT NOT NULL,
         target TEXT NOT NULL,
         reason TEXT NOT NULL,
         evidence TEXT,
         before_json TEXT NOT NULL,
         after_json TEXT NOT NULL,
         proposal_id TEXT
       )`,
      "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END",
      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END",
    ],
  },
  {
    version: 8,
    statements: [
      // How each anomaly about a charge's money is being settled: the REFUND
      // transaction that refunds it or credits it to the wallet (at most one
      // that has not failed: a new one replaces it only once it FAILED), and
      // when that settlement completed and closed the anomaly. A table of its
      // own, so the anomalies table and its rows are untouched. IF NOT EXISTS:
      // a step that only adds is safe to run again over storage that has it.
      `CREATE TABLE IF NOT EXISTS anomaly_settlements (
         tx_ref TEXT NOT NULL,
         kind TEXT NOT NULL,
         ref TEXT NOT NULL,
         refund_tx_ref TEXT NOT NULL,
         resolved_at_ms INTEGER,
         PRIMARY KEY (tx_ref, kind, ref)
       )`,
      "CREATE UNIQUE INDEX IF NOT EXISTS anomaly_settlements_by_refund ON anomaly_settlements (refund_tx_ref)",
    ],
  },
  // Step 9, KYC tiers: in its own module (this one is near the size bound).
  SCHEMA_STEP_9_TIERS,
  // Step 10, the tier act's proposals.
  SCHEMA_STEP_10_TIER_ACT,
  // Step 11, the feed's entities for beneficiaries, schedules and batches.
  SCHEMA_STEP_11_FEED_ENTITIES,
  // Step 12, saved recipients and scheduled top-ups.
  SCHEMA_STEP_12_SCHEDULES,
  // Step 13, bulk top-ups.
  SCHEMA_STEP_13_BULK,
];

/**
 * Rewrite the SQL mirror of src/domain/flows.ts when the code's tables differ
 * from what storage holds (a deploy changed them). One digest comparison per
 * object start; the rewrite is one storage transaction.
 */
export function syncFlows(storage: DurableObjectStorage): void {
  const rows = flowRows();
  const digest = JSON.stringify(rows);
  const sql = storage.sql;
  const stored = one(
    sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = 'flows'"),
  )?.value;
  if (stored === digest) return;
  storage.transactionSync(() => {
    sql.exec("DELETE FROM flow_stages");
    sql.exec("DELETE FROM flow_transitions");
    for (const s of rows.stages)
      sql.exec(
        "INSERT INTO flow_stages (type, stage, status, initial) VALUES (?, ?, ?, ?)",
        s.type,
        s.stage,
        s.status,
        s.initial,
      );
    for (const t of rows.transitions)
      sql.exec(
        "INSERT INTO flow_transitions (type, from_stage, to_stage) VALUES (?, ?, ?)",
        t.type,
        t.from,
        t.to,
      );
    sql.exec(
      "INSERT INTO settings (key, value) VALUES ('flows', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      digest,
    );
  });
}
