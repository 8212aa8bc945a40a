/**
 * The kit's tables, created by every look-alike's migrations: armed faults,
 * webhook delivery attempts and the requests it served (for counting).
 */

export const KIT_FAULTS_TABLE = [
  `CREATE TABLE faults (
     id INTEGER PRIMARY KEY,
     operation TEXT NOT NULL,
     match TEXT NOT NULL,
     mode TEXT NOT NULL,
     remaining INTEGER NOT NULL CHECK (remaining > 0),
     created_at_ms INTEGER NOT NULL
   )`,
  `CREATE INDEX faults_by_operation ON faults (operation, id)`,
];

/** `verif_hash` records which credential a delivery carried (configured, absent, custom), never its value. */
export const KIT_DELIVERIES_TABLE = [
  `CREATE TABLE deliveries (
     id INTEGER PRIMARY KEY,
     event TEXT NOT NULL,
     ref TEXT NOT NULL,
     url TEXT NOT NULL,
     status_code INTEGER,
     error TEXT,
     verif_hash TEXT NOT NULL,
     body TEXT NOT NULL,
     at_ms INTEGER NOT NULL
   )`,
  `CREATE INDEX deliveries_by_ref ON deliveries (ref)`,
];

export const KIT_REQUESTS_TABLE = [
  `CREATE TABLE requests (
     id INTEGER PRIMARY KEY,
     operation TEXT NOT NULL,
     haystack TEXT NOT NULL,
     fault TEXT,
     at_ms INTEGER NOT NULL
   )`,
  `CREATE INDEX requests_by_operation ON requests (operation, id)`,
];

export const KIT_TABLES = [...KIT_FAULTS_TABLE, ...KIT_DELIVERIES_TABLE, ...KIT_REQUESTS_TABLE];
