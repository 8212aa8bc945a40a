/**
 * Wallet: one Durable Object per user; the ledger of record.
 *
 * Why a Durable Object: every call for one user reaches the same single-threaded
 * object, and each mutation below runs as one SQLite transaction in its storage.
 * There is no lock flag, so no wallet can be left locked by a crashed request.
 * SQLite-backed storage is durable before the response leaves the object.
 *
 * This file grows with the money issues; for now it holds the profile and the
 * wallet row that registration creates.
 */
import { DurableObject } from "cloudflare:workers";
import { migrate, one, type Migration } from "../lib/sqlite";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE profile (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         user_id TEXT NOT NULL,
         email TEXT NOT NULL,
         full_name TEXT,
         created_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE wallet (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         currency TEXT NOT NULL,
         balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0),
         is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL
       )`,
    ],
  },
];

export type Profile = { user_id: string; email: string; full_name: string | null; created_at_ms: number };
export type WalletSummary = {
  user_id: string;
  currency: string;
  balance_minor: number;
  available_minor: number;
  held_minor: number;
  is_active: boolean;
};

export class Wallet extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  private profileRow(): Profile | null {
    return one(this.ctx.storage.sql.exec<Profile>("SELECT user_id, email, full_name, created_at_ms FROM profile WHERE id = 1"));
  }

  /**
   * Create the profile and an empty, active wallet. Idempotent: a retried
   * registration finds them in place. Returns null if the object already belongs
   * to another user id (which would be a bug in the caller's routing).
   */
  async init(input: { user_id: string; email: string; full_name: string | null; currency: string }): Promise<Profile | null> {
    const now_ms = Date.now();
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      sql.exec(
        "INSERT INTO profile (id, user_id, email, full_name, created_at_ms) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        input.user_id,
        input.email,
        input.full_name,
        now_ms,
      );
      sql.exec(
        `INSERT INTO wallet (id, currency, balance_minor, is_active, created_at_ms, updated_at_ms)
         VALUES (1, ?, 0, 1, ?, ?) ON CONFLICT (id) DO NOTHING`,
        input.currency,
        now_ms,
        now_ms,
      );
    });
    const profile = this.profileRow();
    if (!profile || profile.user_id !== input.user_id) return null;
    return profile;
  }

  async profile(): Promise<Profile | null> {
    return this.profileRow();
  }

  async ping(): Promise<"pong"> {
    return "pong";
  }
}
