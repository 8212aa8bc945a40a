/**
 * DeadLetters: the inspectable store of queue messages that could not be
 * processed (one instance, named after the dead-letter queue).
 *
 * The queue's own dead-letter queue cannot be browsed, so its consumer copies
 * every message here. Operators list them and replay one (it is sent back to
 * `wallet-events`; every consumer step is idempotent, so a replay is safe).
 * Webhooks that were signed correctly but could not even be parsed land here
 * directly from the intake route, so nothing is ever silently dropped.
 *
 * Bounded: at most DEAD_LETTERS_KEEP_MAX rows; past that, replayed rows go
 * first, then the oldest.
 */
import { DurableObject } from "cloudflare:workers";
import { DEAD_LETTERS_KEEP_MAX, DEAD_LETTERS_PAGE_MAX } from "../../lib/limits";
import { migrate, one, type Migration } from "../../lib/sqlite";

export const DEAD_LETTERS_OBJECT = "wallet-events-dlq";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE dead_letters (
         id TEXT PRIMARY KEY,
         source TEXT NOT NULL,
         reason TEXT NOT NULL,
         body_json TEXT NOT NULL,
         attempts INTEGER NOT NULL,
         received_at_ms INTEGER NOT NULL,
         replay_count INTEGER NOT NULL DEFAULT 0,
         replayed_at_ms INTEGER
       )`,
      "CREATE INDEX dead_letters_by_time ON dead_letters (received_at_ms DESC, id DESC)",
    ],
  },
];

/** `body_json` stays a string across RPC (an `unknown` field is not serialisable in the RPC types). */
export type DeadLetter = {
  id: string;
  source: string;
  reason: string;
  body_json: string;
  attempts: number;
  received_at_ms: number;
  replay_count: number;
  replayed_at_ms: number | null;
};

type Row = DeadLetter;
const toLetter = (row: Row): DeadLetter => ({ ...row });

export class DeadLetters extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  /** Store letters; an id seen before is ignored (queue delivery is at-least-once). */
  async add(
    letters: { id: string; source: string; reason: string; body_json: string; attempts: number }[],
  ): Promise<number> {
    const now_ms = Date.now();
    let added = 0;
    this.ctx.storage.transactionSync(() => {
      for (const letter of letters) {
        const cursor = this.ctx.storage.sql.exec(
          `INSERT INTO dead_letters (id, source, reason, body_json, attempts, received_at_ms) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO NOTHING`,
          letter.id,
          letter.source,
          letter.reason,
          letter.body_json,
          letter.attempts,
          now_ms,
        );
        added += cursor.rowsWritten > 0 ? 1 : 0;
      }
      const count = one(
        this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM dead_letters"),
      )!.n;
      if (count > DEAD_LETTERS_KEEP_MAX) {
        this.ctx.storage.sql.exec(
          `DELETE FROM dead_letters WHERE id IN (
             SELECT id FROM dead_letters ORDER BY (replayed_at_ms IS NULL), received_at_ms LIMIT ?)`,
          count - DEAD_LETTERS_KEEP_MAX,
        );
      }
    });
    return added;
  }

  async list(query: {
    limit: number;
    starting_after?: string;
  }): Promise<{ data: DeadLetter[]; has_more: boolean } | null> {
    const limit = Math.min(Math.max(1, query.limit), DEAD_LETTERS_PAGE_MAX);
    let rows: Row[];
    if (query.starting_after) {
      const cursor = one(
        this.ctx.storage.sql.exec<{ received_at_ms: number }>(
          "SELECT received_at_ms FROM dead_letters WHERE id = ?",
          query.starting_after,
        ),
      );
      if (!cursor) return null;
      rows = this.ctx.storage.sql
        .exec<Row>(
          "SELECT * FROM dead_letters WHERE (received_at_ms, id) < (?, ?) ORDER BY received_at_ms DESC, id DESC LIMIT ?",
          cursor.received_at_ms,
          query.starting_after,
          limit + 1,
        )
        .toArray();
    } else {
      rows = this.ctx.storage.sql
        .exec<Row>(
          "SELECT * FROM dead_letters ORDER BY received_at_ms DESC, id DESC LIMIT ?",
          limit + 1,
        )
        .toArray();
    }
    return { data: rows.slice(0, limit).map(toLetter), has_more: rows.length > limit };
  }

  /**
   * For the operator view and metrics: letters stored, those never replayed
   * (still waiting for an operator), and when the oldest of those arrived.
   */
  async stats(): Promise<{
    stored: number;
    unreplayed: number;
    oldest_unreplayed_at_ms: number | null;
  }> {
    return one(
      this.ctx.storage.sql.exec<{
        stored: number;
        unreplayed: number;
        oldest_unreplayed_at_ms: number | null;
      }>(
        `SELECT COUNT(*) AS stored, COALESCE(SUM(replayed_at_ms IS NULL), 0) AS unreplayed,
                MIN(CASE WHEN replayed_at_ms IS NULL THEN received_at_ms END) AS oldest_unreplayed_at_ms
         FROM dead_letters`,
      ),
    )!;
  }

  async get(id: string): Promise<DeadLetter | null> {
    const row = one(this.ctx.storage.sql.exec<Row>("SELECT * FROM dead_letters WHERE id = ?", id));
    return row ? toLetter(row) : null;
  }

  async markReplayed(id: string): Promise<DeadLetter | null> {
    this.ctx.storage.sql.exec(
      "UPDATE dead_letters SET replay_count = replay_count + 1, replayed_at_ms = ? WHERE id = ?",
      Date.now(),
      id,
    );
    return this.get(id);
  }
}
