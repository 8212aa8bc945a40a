/**
 * The Room's snapshot in its storage (./object.ts): one row, written only
 * through `recordSnapshot`, which keeps the owner and tx_ref fixed and never
 * lets a version move backwards. The schema exists only once a snapshot has
 * been recorded, so a room nobody published to stores nothing.
 */
import type { StatusSnapshot } from "../../domain/records";
import { one, type SchemaOnFirstWrite } from "../../lib/sqlite";

export type StoredSnapshot = { snapshot: StatusSnapshot; terminal_at_ms: number | null };

export function isTerminal(status: StatusSnapshot["status"]): boolean {
  return status !== "PENDING";
}

export function storedSnapshot(
  storage: DurableObjectStorage,
  schema: SchemaOnFirstWrite,
): StoredSnapshot | null {
  if (!schema.exists) return null;
  const row = one(
    storage.sql.exec<{ body: string; terminal_at_ms: number | null }>(
      "SELECT body, terminal_at_ms FROM snapshot WHERE id = 1",
    ),
  );
  return row
    ? { snapshot: JSON.parse(row.body) as StatusSnapshot, terminal_at_ms: row.terminal_at_ms }
    : null;
}

function storedBody(storage: DurableObjectStorage, schema: SchemaOnFirstWrite): string | null {
  if (!schema.exists) return null;
  return (
    one(storage.sql.exec<{ body: string }>("SELECT body FROM snapshot WHERE id = 1"))?.body ?? null
  );
}

/**
 * Apply the never-backwards rules and store. `accepted` is publish's answer
 * (unchanged from before the Room gained sockets); `changed` says whether
 * watchers have anything new to hear (a repeat of the same body is not news).
 */
export function recordSnapshot(
  storage: DurableObjectStorage,
  schema: SchemaOnFirstWrite,
  snapshot: StatusSnapshot,
  now_ms: number,
): { accepted: boolean; changed: boolean } {
  const existing = storedSnapshot(storage, schema)?.snapshot;
  if (existing) {
    if (existing.owner_user_id !== snapshot.owner_user_id)
      throw new Error("room owner cannot change");
    if (existing.tx_ref !== snapshot.tx_ref) throw new Error("room tx_ref cannot change");
    // The Wallet is the only writer and bumps the version on every change: an
    // older or equal version is a redelivery (or a late recovery read).
    if (snapshot.version <= (existing.version ?? 0)) return { accepted: false, changed: false };
  }
  const body = JSON.stringify(snapshot);
  const changed = storedBody(storage, schema) !== body;
  schema.ensure();
  storage.sql.exec(
    `INSERT INTO snapshot (id, owner_user_id, body, status, updated_at_ms, terminal_at_ms) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, status = excluded.status, updated_at_ms = excluded.updated_at_ms,
       terminal_at_ms = COALESCE(snapshot.terminal_at_ms, excluded.terminal_at_ms)`,
    snapshot.owner_user_id,
    body,
    snapshot.status,
    snapshot.updated_at_ms,
    isTerminal(snapshot.status) ? now_ms : null,
  );
  return { accepted: true, changed };
}
