/**
 * An IdentityClaims shard's storage: one row per claimed number, by its keyed
 * hash (src/lib/identity-hash.ts). Never the number, nor its last digits.
 */
import type { Migration } from "../../lib/sqlite";

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE claims (
         hash TEXT PRIMARY KEY,
         kind TEXT NOT NULL,
         user_id TEXT NOT NULL,
         claimed_at_ms INTEGER NOT NULL
       ) WITHOUT ROWID`,
    ],
  },
];
