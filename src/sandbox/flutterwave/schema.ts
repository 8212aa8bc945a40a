/**
 * Storage schema of the Flutterwave look-alike: Flutterwave's own records
 * (customers, payment links, card transactions, transfers) and the kit's
 * tables (faults, deliveries in version 1, requests in version 2).
 * Append-only: a released step is never edited.
 */
import { one, type Migration } from "../../lib/sqlite";
import { KIT_DELIVERIES_TABLE, KIT_FAULTS_TABLE, KIT_REQUESTS_TABLE } from "../kit/schema";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      // Id sequences. Flutterwave's ids are large integers; starting high makes
      // sandbox ids look like theirs and never collide with small test numbers.
      `CREATE TABLE counters (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL)`,
      `INSERT INTO counters (name, next_value) VALUES ('transaction', 7000000001), ('transfer', 500001), ('customer', 2100001)`,
      `CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
      `CREATE TABLE customers (
         id INTEGER PRIMARY KEY,
         email TEXT NOT NULL UNIQUE,
         name TEXT,
         phone_number TEXT,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE payment_links (
         link_id TEXT PRIMARY KEY,
         tx_ref TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         currency TEXT NOT NULL,
         redirect_url TEXT NOT NULL,
         customer_email TEXT NOT NULL,
         customer_name TEXT,
         customer_phone TEXT,
         title TEXT,
         description TEXT,
         meta_json TEXT,
         request_json TEXT NOT NULL,
         max_retry_attempt INTEGER NOT NULL CHECK (max_retry_attempt > 0),
         failed_attempts INTEGER NOT NULL DEFAULT 0,
         status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'cancelled', 'failed', 'expired')),
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         expires_at_ms INTEGER NOT NULL,
         closed_at_ms INTEGER
       )`,
      `CREATE INDEX payment_links_by_tx_ref ON payment_links (tx_ref, created_at_ms)`,
      `CREATE UNIQUE INDEX payment_links_one_open ON payment_links (tx_ref) WHERE status = 'open'`,
      `CREATE TABLE transactions (
         id INTEGER PRIMARY KEY,
         tx_ref TEXT NOT NULL,
         flw_ref TEXT NOT NULL UNIQUE,
         link_id TEXT,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         charged_amount_minor INTEGER NOT NULL,
         app_fee_minor INTEGER NOT NULL,
         merchant_fee_minor INTEGER NOT NULL,
         currency TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('successful', 'failed', 'pending')),
         processor_response TEXT NOT NULL,
         ip TEXT NOT NULL,
         narration TEXT NOT NULL,
         customer_id INTEGER NOT NULL REFERENCES customers (id),
         meta_json TEXT,
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE INDEX transactions_by_tx_ref ON transactions (tx_ref, id)`,
      `CREATE TABLE transfers (
         id INTEGER PRIMARY KEY,
         reference TEXT NOT NULL UNIQUE,
         account_number TEXT NOT NULL,
         bank_code TEXT NOT NULL,
         bank_name TEXT NOT NULL,
         full_name TEXT NOT NULL,
         currency TEXT NOT NULL,
         debit_currency TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         fee_minor INTEGER NOT NULL CHECK (fee_minor >= 0),
         status TEXT NOT NULL CHECK (status IN ('NEW', 'PENDING', 'SUCCESSFUL', 'FAILED')),
         complete_message TEXT NOT NULL,
         narration TEXT,
         meta_json TEXT,
         callback_url TEXT,
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         settle_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER
       )`,
      `CREATE INDEX transfers_unsettled ON transfers (status, settle_at_ms)`,
      // The kit's first two tables (its schema only ever grows by new tables).
      ...KIT_DELIVERIES_TABLE,
      ...KIT_FAULTS_TABLE,
    ],
  },
  {
    version: 2,
    // The sandbox kit's request log, for counting calls at the look-alike.
    statements: [...KIT_REQUESTS_TABLE],
  },
  {
    version: 3,
    // Every create opens a link of its own (charges.ts says why): a tx_ref may
    // have several open links, so the one-open-link index goes.
    statements: ["DROP INDEX payment_links_one_open"],
  },
  {
    version: 4,
    // Refunds of a charge (refunds.ts): partial amounts, each with its own id and status.
    statements: [
      `INSERT INTO counters (name, next_value) VALUES ('refund', 75001)`,
      `CREATE TABLE refunds (
         id INTEGER PRIMARY KEY,
         transaction_id INTEGER NOT NULL REFERENCES transactions (id),
         flw_ref TEXT NOT NULL UNIQUE,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         currency TEXT NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
         comments TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE INDEX refunds_by_transaction ON refunds (transaction_id, id)`,
    ],
  },
  {
    version: 5,
    // How the lists misreport a reference (list-faults.ts): reconciliation's differences.
    statements: [
      `CREATE TABLE list_faults (
         reference TEXT PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('amount', 'currency', 'status', 'omit', 'duplicate', 'shift')),
         value TEXT
       )`,
    ],
  },
];

/** The next id of a sequence (Flutterwave's ids are large integers; see the counters table). Call inside a transaction. */
export function nextId(
  sql: SqlStorage,
  name: "transaction" | "transfer" | "customer" | "refund",
): number {
  const row = one(
    sql.exec<{ id: number }>(
      "UPDATE counters SET next_value = next_value + 1 WHERE name = ? RETURNING next_value - 1 AS id",
      name,
    ),
  );
  if (!row) throw new Error(`counter ${name} missing: migration 1 did not run`);
  return row.id;
}

export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}
