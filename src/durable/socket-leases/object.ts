/**
 * SocketLeases: one Durable Object per socket-counting key, `user:<user id>`
 * or `addr:<client address key>`. It counts the watch sockets open for that
 * key, so that one user, or one address, cannot hold more than its limit
 * across all Rooms (each Room only sees its own sockets).
 *
 * Responsibilities
 * - `acquire`: take a lease for one socket, refused when the key already holds
 *   `max`; taking the same lease again only moves its end (the seed protocol
 *   learns the credential's expiry after the upgrade).
 * - `release`: give a lease back when its socket ends (the Room or the relay calls it).
 *
 * Invariants
 * - Every lease ends at `until_ms`, the socket's own latest end (its
 *   credential's expiry), so a release that never comes (a crashed isolate, a
 *   peer that vanished) costs a slot only until then, never for ever.
 * - At most `max` live leases after every `acquire` (count and insert in one
 *   transaction, and a Durable Object runs one call at a time).
 * - Storage only while leases live: the schema is created by the first
 *   `acquire` and everything is deleted when the last lease goes, so counting
 *   anonymous addresses leaves nothing behind.
 */
import { DurableObject } from "cloudflare:workers";
import { SOCKET_LEASES_PURGE_BATCH_MAX } from "../room/limits";
import { hasStoredTables, one, SchemaOnFirstWrite, type Migration } from "../../lib/sqlite";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      "CREATE TABLE leases (lease_id TEXT PRIMARY KEY, until_ms INTEGER NOT NULL)",
      "CREATE INDEX leases_by_end ON leases (until_ms)",
    ],
  },
];

export type LeaseResult = { ok: true } | { ok: false; held: number; retry_after_s: number };

export class SocketLeases extends DurableObject<Env> {
  /** The schema exists from the first lease until the last one has ended and the object emptied itself. */
  private readonly schema: SchemaOnFirstWrite;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = SchemaOnFirstWrite.open(ctx, MIGRATIONS);
  }

  private purgeExpired(now_ms: number): void {
    this.ctx.storage.sql.exec(
      "DELETE FROM leases WHERE lease_id IN (SELECT lease_id FROM leases WHERE until_ms <= ? ORDER BY until_ms LIMIT ?)",
      now_ms,
      SOCKET_LEASES_PURGE_BATCH_MAX,
    );
  }

  private count(now_ms: number): number {
    return (
      one(
        this.ctx.storage.sql.exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM leases WHERE until_ms > ?",
          now_ms,
        ),
      )?.n ?? 0
    );
  }

  private earliestEnd(): number | null {
    return (
      one(
        this.ctx.storage.sql.exec<{ at: number | null }>("SELECT MIN(until_ms) AS at FROM leases"),
      )?.at ?? null
    );
  }

  async acquire(input: { lease_id: string; until_ms: number; max: number }): Promise<LeaseResult> {
    const now_ms = Date.now();
    this.schema.ensure();
    const result = this.ctx.storage.transactionSync((): LeaseResult => {
      this.purgeExpired(now_ms);
      const moved = this.ctx.storage.sql.exec(
        "UPDATE leases SET until_ms = ? WHERE lease_id = ?",
        input.until_ms,
        input.lease_id,
      );
      if (moved.rowsWritten > 0) return { ok: true };
      const held = this.count(now_ms);
      if (held >= input.max) {
        const first_end_ms = this.earliestEnd() ?? now_ms;
        return {
          ok: false,
          held,
          retry_after_s: Math.max(1, Math.ceil((first_end_ms - now_ms) / 1000)),
        };
      }
      this.ctx.storage.sql.exec(
        "INSERT INTO leases (lease_id, until_ms) VALUES (?, ?)",
        input.lease_id,
        input.until_ms,
      );
      return { ok: true };
    });
    await this.tidy();
    return result;
  }

  async release(lease_id: string): Promise<void> {
    if (!this.schema.exists) return;
    this.ctx.storage.sql.exec("DELETE FROM leases WHERE lease_id = ?", lease_id);
    await this.tidy();
  }

  /** Live leases (tests and operators). */
  async held(): Promise<number> {
    return this.schema.exists ? this.count(Date.now()) : 0;
  }

  /** Whether anything is stored (tests: an address with no open socket leaves nothing behind). */
  async hasStorage(): Promise<boolean> {
    return hasStoredTables(this.ctx.storage);
  }

  override async alarm(): Promise<void> {
    if (!this.schema.exists) return;
    this.purgeExpired(Date.now());
    await this.tidy();
  }

  /** Forget everything when no lease is left; otherwise wake at the next end to purge it. */
  private async tidy(): Promise<void> {
    const next_ms = this.earliestEnd();
    if (next_ms === null) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.schema.forget();
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next_ms) await this.ctx.storage.setAlarm(next_ms);
  }
}
