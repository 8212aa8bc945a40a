/**
 * The Wallet schema's step 9 (issue 21, KYC tiers), listed in ./schema.ts's
 * MIGRATIONS. Append-only like every step: once deployed it is never edited.
 */
import type { Migration } from "../../lib/sqlite";

export const SCHEMA_STEP_9_TIERS: Migration = {
  version: 9,
  statements: [
    // KYC tiers (src/domain/tiers.ts). The tier is a column of the wallet,
    // so a change bumps the wallet's version and reaches the feed as a
    // wallet change, without rebuilding the feed's table.
    "ALTER TABLE wallet ADD COLUMN tier INTEGER NOT NULL DEFAULT 0 CHECK (tier IN (0, 1, 2, 3))",
    // One verified identity per kind: a keyed hash and the last four
    // digits, never the number (NDPA 2023's data minimisation); the
    // issuer's name and date of birth only to match a second number to
    // the same person.
    `CREATE TABLE IF NOT EXISTS wallet_identities (
         kind TEXT PRIMARY KEY CHECK (kind IN ('bvn', 'nin')),
         hash TEXT NOT NULL,
         last4 TEXT NOT NULL,
         verified_name TEXT NOT NULL,
         verified_dob TEXT NOT NULL,
         provider TEXT NOT NULL,
         verified_at_ms INTEGER NOT NULL
       )`,
    // An operator's upgrade (to 3) or sticky downgrade, until lifted.
    `CREATE TABLE IF NOT EXISTS tier_override (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         tier INTEGER NOT NULL CHECK (tier IN (0, 1, 2, 3)),
         reason TEXT NOT NULL,
         operator TEXT NOT NULL,
         at_ms INTEGER NOT NULL
       )`,
    // The money counted against each Lagos day's limit.
    `CREATE TABLE IF NOT EXISTS tier_usage (
         day TEXT PRIMARY KEY,
         used_minor INTEGER NOT NULL CHECK (used_minor >= 0)
       )`,
    // What each transaction counted and on which day, so a void, a
    // failure or a reversal gives that day's room back exactly once (the
    // row is deleted as it is given back).
    `CREATE TABLE IF NOT EXISTS tier_counted (
         tx_ref TEXT PRIMARY KEY,
         day TEXT NOT NULL,
         minor INTEGER NOT NULL CHECK (minor > 0)
       )`,
    // Verification attempts per Lagos day (each costs a provider call).
    `CREATE TABLE IF NOT EXISTS kyc_attempts (
         day TEXT PRIMARY KEY,
         count INTEGER NOT NULL CHECK (count >= 0)
       )`,
  ],
};

/**
 * Step 10 (issue 21, the tier act under four eyes): `proposals` takes the
 * kind `tier`, which moves no money (amount 0). SQLite cannot change a
 * CHECK in place, so the table is rebuilt with its rows, its index and its
 * triggers (a proposal is decided once and never deleted: DROP TABLE fires
 * no trigger, and every row is copied first, in the step's transaction).
 */
export const SCHEMA_STEP_10_TIER_ACT: Migration = {
  version: 10,
  statements: [
    `CREATE TABLE proposals_new (
         id TEXT PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('adjust_credit', 'adjust_debit', 'decide', 'refund', 'credit_excess', 'tier')),
         payload_json TEXT NOT NULL,
         tx_ref TEXT,
         tx_version INTEGER,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0 OR (kind = 'tier' AND amount_minor = 0)),
         proposed_by TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         expires_at_ms INTEGER NOT NULL,
         status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'failed')),
         decided_by TEXT,
         decided_at_ms INTEGER,
         result_json TEXT,
         version INTEGER NOT NULL CHECK (version > 0)
       )`,
    `INSERT INTO proposals_new (id, kind, payload_json, tx_ref, tx_version, amount_minor, proposed_by,
         created_at_ms, expires_at_ms, status, decided_by, decided_at_ms, result_json, version)
       SELECT id, kind, payload_json, tx_ref, tx_version, amount_minor, proposed_by,
         created_at_ms, expires_at_ms, status, decided_by, decided_at_ms, result_json, version FROM proposals`,
    "DROP TABLE proposals",
    "ALTER TABLE proposals_new RENAME TO proposals",
    "CREATE INDEX proposals_by_time ON proposals (created_at_ms DESC, id DESC)",
    `CREATE TRIGGER proposals_decided_once BEFORE UPDATE ON proposals
       WHEN NOT ((OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected', 'expired', 'executed', 'failed'))
              OR (OLD.status = 'approved' AND NEW.status IN ('executed', 'failed')))
       BEGIN SELECT RAISE(ABORT, 'proposal_already_decided'); END`,
    "CREATE TRIGGER proposals_never_deleted BEFORE DELETE ON proposals BEGIN SELECT RAISE(ABORT, 'proposals_append_only'); END",
  ],
};
