/**
 * The Room's storage: its one snapshot row (migrations), and the shape a
 * snapshot from the Wallet must have before it is stored.
 */
import { z } from "zod";
import { STAGES } from "../../domain/flows";
import { TX_STATUSES, TX_TYPES } from "../../domain/transactions";
import { txRefOwner, USER_ID_PATTERN } from "../../lib/ids";
import type { Migration } from "../../lib/sqlite";
import { BILL_TOKEN_MAX_CHARS } from "../../domain/limits";

/** A snapshot from the Wallet is internal data: a bad one is a bug, so it throws. */
export const SnapshotSchema = z.strictObject({
  tx_ref: z.string().refine((v) => txRefOwner(v) !== null, "not a tx_ref"),
  owner_user_id: z.string().regex(USER_ID_PATTERN),
  type: z.enum(TX_TYPES),
  status: z.enum(TX_STATUSES),
  amount_minor: z.number().int().positive(),
  currency: z.string().min(1),
  failure_reason: z.string().nullable(),
  stage: z.enum(STAGES),
  version: z.number().int().positive(),
  updated_at_ms: z.number().int().nonnegative(),
  token: z.string().min(1).max(BILL_TOKEN_MAX_CHARS).optional(),
  units: z.string().max(BILL_TOKEN_MAX_CHARS).nullable().optional(),
});

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE snapshot (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         owner_user_id TEXT NOT NULL,
         body TEXT NOT NULL,
         status TEXT NOT NULL,
         updated_at_ms INTEGER NOT NULL
       )`,
    ],
  },
  {
    version: 2,
    // When this room learned of the terminal status (its own clock): the start
    // of every socket's close grace.
    statements: ["ALTER TABLE snapshot ADD COLUMN terminal_at_ms INTEGER"],
  },
  {
    version: 3,
    // Since when the Wallet publishes this transaction's changes here
    // (Wallet.watch): asked once, when the first watcher joins or the
    // snapshot is first read. A room of before has no row, so it asks too.
    statements: [
      `CREATE TABLE watch (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         marked_at_ms INTEGER NOT NULL
       )`,
    ],
  },
];
