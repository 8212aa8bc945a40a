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
