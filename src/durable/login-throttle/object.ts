/**
 * LoginThrottle: one Durable Object per (normalised) email address that a login
 * names, registered or not. It decides whether a login attempt may have its
 * password checked, and remembers failures.
 *
 * Responsibilities
 * - Per (email, client address): LOGIN_CLIENT_FREE_FAILURES failures, then a
 *   wait before each further attempt that doubles from LOGIN_CLIENT_DELAY_BASE_S
 *   to LOGIN_CLIENT_DELAY_MAX_S. A client only ever waits for its own failures.
 * - Per email: once LOGIN_EMAIL_FAILURES_MAX failures from all clients fall
 *   within LOGIN_EMAIL_FAILURE_WINDOW_S, clients that are not known (no
 *   successful login to this account within LOGIN_KNOWN_CLIENT_TTL_S) are
 *   refused until the oldest of those failures leaves the window. Known clients
 *   are never refused by the ceiling: the owner logs in from a usual address
 *   however many addresses an attacker uses.
 * - Forget: client records LOGIN_FAILURE_MEMORY_S after their last failure,
 *   ceiling failures after the window, known clients after their TTL. An alarm
 *   prunes, and deletes all storage once nothing is left, so an email nobody
 *   registered keeps no storage past that.
 *
 * Why a separate object and not Credentials: the rules must be the same for an
 * email nobody registered (else "429 after five failures" would tell an
 * attacker which emails exist), and Credentials stores nothing for those.
 *
 * Invariants
 * - An attempt is counted as a failure when it begins, and un-counted only when
 *   its password proved right (`succeeded`): concurrent guesses cannot slip in
 *   between a check and a count, and a request that dies mid-way counts.
 * - Every table is bounded: LOGIN_CLIENTS_TRACKED_MAX client rows,
 *   LOGIN_EMAIL_FAILURES_MAX failure rows (all the ceiling needs),
 *   LOGIN_KNOWN_CLIENTS_MAX known clients.
 * - No email, password or hash is stored here; client keys are addresses.
 */
import { DurableObject } from "cloudflare:workers";
import {
  LOGIN_CLIENT_DELAY_BASE_S,
  LOGIN_CLIENT_DELAY_MAX_S,
  LOGIN_CLIENT_FREE_FAILURES,
  LOGIN_CLIENTS_TRACKED_MAX,
  LOGIN_EMAIL_FAILURE_WINDOW_S,
  LOGIN_EMAIL_FAILURES_MAX,
  LOGIN_FAILURE_MEMORY_S,
  LOGIN_KNOWN_CLIENT_TTL_S,
  LOGIN_KNOWN_CLIENTS_MAX,
} from "./limits";
import { one, SchemaOnFirstWrite, type Migration } from "../../lib/sqlite";

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE clients (
         client TEXT PRIMARY KEY,
         failures INTEGER NOT NULL CHECK (failures >= 0),
         last_failure_at_ms INTEGER NOT NULL
       )`,
      "CREATE INDEX clients_by_time ON clients (last_failure_at_ms)",
      `CREATE TABLE failures (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         client TEXT NOT NULL,
         at_ms INTEGER NOT NULL
       )`,
      "CREATE INDEX failures_by_time ON failures (at_ms)",
      `CREATE TABLE known_clients (
         client TEXT PRIMARY KEY,
         last_success_at_ms INTEGER NOT NULL
       )`,
    ],
  },
];

export type LoginGate =
  | { outcome: "proceed"; attempt_id: number }
  | { outcome: "throttled"; scope: "client" | "email"; retry_after_s: number };

/** Seconds a client must wait after its `failures`-th failure before trying again. */
export function clientDelaySeconds(failures: number): number {
  if (failures < LOGIN_CLIENT_FREE_FAILURES) return 0;
  const doublings = failures - LOGIN_CLIENT_FREE_FAILURES;
  // Capped before the power so a long record cannot overflow into Infinity.
  return Math.min(
    LOGIN_CLIENT_DELAY_BASE_S * 2 ** Math.min(doublings, 30),
    LOGIN_CLIENT_DELAY_MAX_S,
  );
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class LoginThrottle extends DurableObject<Env> {
  /** The schema exists from the first failure until the alarm has emptied the object. */
  private readonly schema: SchemaOnFirstWrite;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = SchemaOnFirstWrite.open(ctx, MIGRATIONS);
  }

  /**
   * May this client's attempt have its password checked? If so, the attempt is
   * counted as a failure now; call `succeeded` if the password was right.
   */
  async begin(client: string): Promise<LoginGate> {
    this.schema.ensure();
    const now_ms = Date.now();
    const sql = this.ctx.storage.sql;
    const gate = this.ctx.storage.transactionSync((): LoginGate => {
      const record = one(
        sql.exec<{ failures: number; last_failure_at_ms: number }>(
          "SELECT failures, last_failure_at_ms FROM clients WHERE client = ? AND last_failure_at_ms > ?",
          client,
          now_ms - LOGIN_FAILURE_MEMORY_S * 1000,
        ),
      );
      const failures = record?.failures ?? 0;
      if (record) {
        const free_at_ms = record.last_failure_at_ms + clientDelaySeconds(failures) * 1000;
        if (now_ms < free_at_ms)
          return {
            outcome: "throttled",
            scope: "client",
            retry_after_s: seconds(free_at_ms - now_ms),
          };
      }
      const known =
        one(
          sql.exec(
            "SELECT 1 AS known FROM known_clients WHERE client = ? AND last_success_at_ms > ?",
            client,
            now_ms - LOGIN_KNOWN_CLIENT_TTL_S * 1000,
          ),
        ) !== null;
      if (!known) {
        const window_start_ms = now_ms - LOGIN_EMAIL_FAILURE_WINDOW_S * 1000;
        const recent = one(
          sql.exec<{ n: number; oldest_ms: number | null }>(
            "SELECT COUNT(*) AS n, MIN(at_ms) AS oldest_ms FROM failures WHERE at_ms > ?",
            window_start_ms,
          ),
        )!;
        if (recent.n >= LOGIN_EMAIL_FAILURES_MAX && recent.oldest_ms !== null) {
          return {
            outcome: "throttled",
            scope: "email",
            retry_after_s: seconds(recent.oldest_ms + LOGIN_EMAIL_FAILURE_WINDOW_S * 1000 - now_ms),
          };
        }
      }
      // Count the attempt as a failure before its password is checked.
      sql.exec(
        `INSERT INTO clients (client, failures, last_failure_at_ms) VALUES (?, ?, ?)
         ON CONFLICT (client) DO UPDATE SET failures = excluded.failures, last_failure_at_ms = excluded.last_failure_at_ms`,
        client,
        failures + 1,
        now_ms,
      );
      const attempt_id = one(
        sql.exec<{ id: number }>(
          "INSERT INTO failures (client, at_ms) VALUES (?, ?) RETURNING id",
          client,
          now_ms,
        ),
      )!.id;
      sql.exec(
        "DELETE FROM failures WHERE id NOT IN (SELECT id FROM failures ORDER BY id DESC LIMIT ?)",
        LOGIN_EMAIL_FAILURES_MAX,
      );
      sql.exec(
        "DELETE FROM clients WHERE client NOT IN (SELECT client FROM clients ORDER BY last_failure_at_ms DESC LIMIT ?)",
        LOGIN_CLIENTS_TRACKED_MAX,
      );
      return { outcome: "proceed", attempt_id };
    });
    if (gate.outcome === "proceed") await this.armAlarm();
    return gate;
  }

  /**
   * The attempt's password was right: un-count it, forget the client's earlier
   * failures on this email (OWASP: reset the counter on success) and remember it
   * as a known client.
   */
  async succeeded(client: string, attempt_id: number): Promise<void> {
    this.schema.ensure();
    const now_ms = Date.now();
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM failures WHERE id = ? AND client = ?", attempt_id, client);
      sql.exec("DELETE FROM clients WHERE client = ?", client);
      sql.exec(
        `INSERT INTO known_clients (client, last_success_at_ms) VALUES (?, ?)
         ON CONFLICT (client) DO UPDATE SET last_success_at_ms = excluded.last_success_at_ms`,
        client,
        now_ms,
      );
      sql.exec(
        "DELETE FROM known_clients WHERE client NOT IN (SELECT client FROM known_clients ORDER BY last_success_at_ms DESC LIMIT ?)",
        LOGIN_KNOWN_CLIENTS_MAX,
      );
    });
    await this.armAlarm();
  }

  /** The earliest moment something here is due to be forgotten, or null if nothing is stored. */
  private nextExpiryMs(): number | null {
    const row = one(
      this.ctx.storage.sql.exec<{ at_ms: number | null }>(
        `SELECT MIN(at_ms) AS at_ms FROM (
           SELECT MIN(last_failure_at_ms) + ? AS at_ms FROM clients
           UNION ALL SELECT MIN(at_ms) + ? FROM failures
           UNION ALL SELECT MIN(last_success_at_ms) + ? FROM known_clients
         )`,
        LOGIN_FAILURE_MEMORY_S * 1000,
        LOGIN_EMAIL_FAILURE_WINDOW_S * 1000,
        LOGIN_KNOWN_CLIENT_TTL_S * 1000,
      ),
    );
    return row?.at_ms ?? null;
  }

  private async armAlarm(): Promise<void> {
    const due_ms = this.nextExpiryMs();
    if (due_ms === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due_ms) await this.ctx.storage.setAlarm(due_ms);
  }

  /** Forget what has expired; with nothing left, delete the object's storage entirely. */
  override async alarm(): Promise<void> {
    if (!this.schema.exists) return;
    const now_ms = Date.now();
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "DELETE FROM clients WHERE last_failure_at_ms <= ?",
        now_ms - LOGIN_FAILURE_MEMORY_S * 1000,
      );
      sql.exec(
        "DELETE FROM failures WHERE at_ms <= ?",
        now_ms - LOGIN_EMAIL_FAILURE_WINDOW_S * 1000,
      );
      sql.exec(
        "DELETE FROM known_clients WHERE last_success_at_ms <= ?",
        now_ms - LOGIN_KNOWN_CLIENT_TTL_S * 1000,
      );
    });
    const due_ms = this.nextExpiryMs();
    if (due_ms === null) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.schema.forget();
      return;
    }
    await this.ctx.storage.setAlarm(due_ms);
  }
}
