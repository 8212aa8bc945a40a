/**
 * Credentials: one Durable Object per (normalised) email address.
 *
 * Responsibilities
 * - Guarantee that an email belongs to at most one user, without a lock and
 *   without check-then-insert: the object's id is derived from the email, so all
 *   requests about one email reach the same single-threaded object, and the
 *   single-row table (primary key `id = 1`) makes a second claim a no-op.
 * - Hold the password hash (a PHC string) and the user id.
 *
 * Invariants
 * - A row, once claimed, never changes its user id.
 * - `state` goes `pending` -> `active`, never back. A pending row whose lease has
 *   passed may be resumed (the registration that claimed it died half-way).
 *
 * Password hashing happens in the Worker, never here (see src/lib/password.ts).
 *
 * Storage only for emails that exist: `getByName(email)` plus a method call is
 * enough to bring an object to life, and creating its tables would store one
 * for every address anybody types into the login form. So the schema is created
 * by the first write (`claim`), and an object without it answers every read as
 * "no account" without writing anything.
 */
import { DurableObject } from "cloudflare:workers";
import { REGISTRATION_LEASE_MS } from "../../lib/limits";
import { one, SchemaOnFirstWrite, type Migration } from "../../lib/sqlite";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE account (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         email TEXT NOT NULL,
         user_id TEXT NOT NULL UNIQUE,
         password_hash TEXT NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('pending', 'active')),
         lease_until_ms INTEGER NOT NULL,
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL
       )`,
    ],
  },
];

type AccountRow = {
  email: string;
  user_id: string;
  password_hash: string;
  state: "pending" | "active";
  lease_until_ms: number;
  created_at_ms: number;
};

export type ClaimResult =
  | { outcome: "claimed"; user_id: string }
  | {
      outcome: "taken";
      user_id: string;
      state: "pending" | "active";
      password_hash: string;
      lease_active: boolean;
    };

export type Account = {
  user_id: string;
  password_hash: string;
  state: "pending" | "active";
  created_at_ms: number;
};

export class Credentials extends DurableObject<Env> {
  /** The schema exists only once an email has been registered (a login for an unknown one stores nothing). */
  private readonly schema: SchemaOnFirstWrite;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = SchemaOnFirstWrite.open(ctx, MIGRATIONS);
  }

  private row(): AccountRow | null {
    if (!this.schema.exists) return null;
    return one(
      this.ctx.storage.sql.exec<AccountRow>(
        "SELECT email, user_id, password_hash, state, lease_until_ms, created_at_ms FROM account WHERE id = 1",
      ),
    );
  }

  /** Claim the email for `user_id`, or report who holds it. */
  async claim(input: {
    email: string;
    user_id: string;
    password_hash: string;
  }): Promise<ClaimResult> {
    this.schema.ensure();
    const now_ms = Date.now();
    const cursor = this.ctx.storage.sql.exec(
      `INSERT INTO account (id, email, user_id, password_hash, state, lease_until_ms, created_at_ms, updated_at_ms)
       VALUES (1, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      input.email,
      input.user_id,
      input.password_hash,
      now_ms + REGISTRATION_LEASE_MS,
      now_ms,
      now_ms,
    );
    if (cursor.rowsWritten > 0) return { outcome: "claimed", user_id: input.user_id };
    const row = this.row();
    if (!row) throw new Error("account row vanished after a conflicting insert");
    return {
      outcome: "taken",
      user_id: row.user_id,
      state: row.state,
      password_hash: row.password_hash,
      lease_active: row.lease_until_ms > now_ms,
    };
  }

  /**
   * Take over a pending registration whose lease has passed. Compare-and-set:
   * of several concurrent resumers exactly one gets `true`.
   */
  async resume(user_id: string): Promise<boolean> {
    if (!this.schema.exists) return false;
    const now_ms = Date.now();
    const cursor = this.ctx.storage.sql.exec(
      `UPDATE account SET lease_until_ms = ?, updated_at_ms = ?
       WHERE id = 1 AND user_id = ? AND state = 'pending' AND lease_until_ms <= ?`,
      now_ms + REGISTRATION_LEASE_MS,
      now_ms,
      user_id,
      now_ms,
    );
    return cursor.rowsWritten > 0;
  }

  async activate(user_id: string): Promise<void> {
    if (!this.schema.exists) throw new Error("activate: no account for this user id");
    const cursor = this.ctx.storage.sql.exec(
      "UPDATE account SET state = 'active', updated_at_ms = ? WHERE id = 1 AND user_id = ?",
      Date.now(),
      user_id,
    );
    if (cursor.rowsWritten === 0) throw new Error("activate: no account for this user id");
  }

  async lookup(): Promise<Account | null> {
    const row = this.row();
    if (!row) return null;
    return {
      user_id: row.user_id,
      password_hash: row.password_hash,
      state: row.state,
      created_at_ms: row.created_at_ms,
    };
  }

  /** Upgrade a hash after login with weaker parameters; a no-op if it changed meanwhile. */
  async replaceHash(user_id: string, old_hash: string, new_hash: string): Promise<boolean> {
    if (!this.schema.exists) return false;
    const cursor = this.ctx.storage.sql.exec(
      "UPDATE account SET password_hash = ?, updated_at_ms = ? WHERE id = 1 AND user_id = ? AND password_hash = ?",
      new_hash,
      Date.now(),
      user_id,
      old_hash,
    );
    return cursor.rowsWritten > 0;
  }

  async ping(): Promise<"pong"> {
    return "pong";
  }
}
