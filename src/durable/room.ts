/**
 * Room: one Durable Object per tx_ref.
 *
 * Responsibilities (this file grows in the realtime issue)
 * - Keep the latest status snapshot of its transaction and the owner's user id,
 *   so that a late joiner gets the current state at once and nobody but the
 *   owner may watch.
 *
 * Invariants
 * - The owner is set by the first publish and never changes.
 * - A snapshot never moves backwards: a terminal status is never replaced by
 *   PENDING, and an older update never replaces a newer one.
 */
import { DurableObject } from "cloudflare:workers";
import { migrate, one, type Migration } from "../lib/sqlite";

export type StatusSnapshot = {
  tx_ref: string;
  owner_user_id: string;
  type: string;
  status: "PENDING" | "SUCCESS" | "FAILED";
  amount_minor: number;
  currency: string;
  failure_reason: string | null;
  updated_at_ms: number;
};

const MIGRATIONS: Migration[] = [
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
];

export class Room extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  private current(): StatusSnapshot | null {
    const row = one(this.ctx.storage.sql.exec<{ body: string }>("SELECT body FROM snapshot WHERE id = 1"));
    return row ? (JSON.parse(row.body) as StatusSnapshot) : null;
  }

  /** Record a status change; returns whether it was newer than what we had. */
  async publish(snapshot: StatusSnapshot): Promise<boolean> {
    const existing = this.current();
    if (existing) {
      if (existing.owner_user_id !== snapshot.owner_user_id) throw new Error("room owner cannot change");
      if (existing.status !== "PENDING" && snapshot.status === "PENDING") return false;
      if (existing.status !== "PENDING" && existing.status !== snapshot.status) return false;
      if (snapshot.updated_at_ms < existing.updated_at_ms) return false;
    }
    this.ctx.storage.sql.exec(
      `INSERT INTO snapshot (id, owner_user_id, body, status, updated_at_ms) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, status = excluded.status, updated_at_ms = excluded.updated_at_ms`,
      snapshot.owner_user_id,
      JSON.stringify(snapshot),
      snapshot.status,
      snapshot.updated_at_ms,
    );
    return true;
  }

  async snapshot(): Promise<StatusSnapshot | null> {
    return this.current();
  }
}
