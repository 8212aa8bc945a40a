/**
 * Storage schema of the VTpass look-alike: its purchases (the model's
 * PurchaseRecord, plus where the purchase came from, what it took from the
 * float and where its callback stands), its settings (the float, the alarm's
 * time) and the kit's tables. Append-only: a released step is never edited.
 */
import type { Migration } from "../../lib/sqlite";
import { KIT_TABLES } from "../kit/schema";

/** Where a purchase's transaction-update callback stands. */
export const CALLBACK_STATES = ["none", "scheduled", "sending", "accepted", "gave_up"] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
      // request_id is VTpass's idempotency key: the primary key is what makes a
      // reused one 014 even under concurrent requests, not a check-then-insert.
      `CREATE TABLE purchases (
         request_id TEXT PRIMARY KEY,
         transaction_id TEXT NOT NULL UNIQUE,
         service_id TEXT NOT NULL,
         product_name TEXT NOT NULL,
         recipient TEXT NOT NULL,
         phone TEXT NOT NULL,
         variation_code TEXT,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         commission_minor INTEGER NOT NULL CHECK (commission_minor >= 0),
         debited_minor INTEGER NOT NULL CHECK (debited_minor >= 0),
         status TEXT NOT NULL CHECK (status IN ('delivered', 'pending', 'failed', 'reversed')),
         deliver_at_ms INTEGER,
         origin TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER,
         callback_state TEXT NOT NULL DEFAULT 'none' CHECK (callback_state IN ('none', 'scheduled', 'sending', 'accepted', 'gave_up')),
         callback_attempts INTEGER NOT NULL DEFAULT 0 CHECK (callback_attempts >= 0),
         callback_next_at_ms INTEGER,
         CHECK ((callback_state IN ('scheduled', 'sending')) = (callback_next_at_ms IS NOT NULL)),
         CHECK (status = 'pending' OR deliver_at_ms IS NULL)
       )`,
      // The 30 s duplicate rule (019) looks up the latest purchase of one
      // service for one number and amount.
      `CREATE INDEX purchases_similar ON purchases (service_id, recipient, amount_minor, created_at_ms)`,
      `CREATE INDEX purchases_pending ON purchases (deliver_at_ms) WHERE status = 'pending'`,
      `CREATE INDEX purchases_callbacks ON purchases (callback_next_at_ms) WHERE callback_state IN ('scheduled', 'sending')`,
      ...KIT_TABLES,
    ],
  },
  {
    version: 2,
    // The merchant's dashboard: the callback URL's secret, when a test sets
    // another one than the configured one (to see our route refuse it and the
    // look-alike try again, as VTpass would).
    statements: [
      "CREATE TABLE dashboard (id INTEGER PRIMARY KEY CHECK (id = 1), callback_secret TEXT)",
    ],
  },
  {
    version: 3,
    // How a requery misreports a purchase (requery-faults.ts): reconciliation's differences on VTpass's side.
    statements: [
      `CREATE TABLE requery_faults (
         request_id TEXT PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('amount', 'status', 'not_found')),
         amount_minor INTEGER CHECK (amount_minor > 0),
         status TEXT CHECK (status IN ('delivered', 'failed', 'reversed')),
         CHECK ((kind = 'amount') = (amount_minor IS NOT NULL)),
         CHECK ((kind = 'status') = (status IS NOT NULL))
       )`,
    ],
  },
];
