/**
 * A ProviderRefs shard's storage: one row per (port, reference) it holds.
 * Created at the first bind only (see object.ts: a lookup writes nothing).
 */
import type { Migration } from "../../lib/sqlite";

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE refs (
         port TEXT NOT NULL,
         reference TEXT NOT NULL,
         tx_ref TEXT NOT NULL,
         requery_at_ms INTEGER,
         PRIMARY KEY (port, reference)
       ) WITHOUT ROWID`,
    ],
  },
];
