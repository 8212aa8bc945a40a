/**
 * Idempotency keys (Stripe's semantics): the first answer for a key is stored
 * and replayed; the same key with another body is refused; a key whose
 * request is still running is "in flight" until IDEMPOTENCY_IN_FLIGHT_LOCK_MS
 * passes, after which a retry resumes the same transaction (never a second
 * one). Keys are kept IDEMPOTENCY_TTL_MS.
 *
 * A new key is inserted in the same storage transaction as the transaction it
 * guards (`insert`, called from the open* flows), so a key never exists
 * without its transaction nor the other way round.
 */
import { IDEMPOTENCY_IN_FLIGHT_LOCK_MS, IDEMPOTENCY_TTL_MS } from "../../domain/limits";
import { IDEMPOTENCY_PURGE_BATCH_MAX } from "./limits";
import { one } from "../../lib/sqlite";
import type { TransactionRecord } from "../../domain/records";

export type IdempotencyInput = { key: string; fingerprint: string };

/** What a stored idempotent answer looks like. */
export type StoredAnswer = { status_code: number; body: unknown };

/** What a key says about a request, before anything is opened. */
export type KeyVerdict =
  | { outcome: "replay"; answer: StoredAnswer }
  | { outcome: "key_mismatch" }
  | { outcome: "in_flight" }
  | { outcome: "resume"; tx: TransactionRecord };

type KeyRow = {
  fingerprint: string;
  tx_ref: string | null;
  state: string;
  status_code: number | null;
  response_json: string | null;
  locked_until_ms: number;
};

export class IdempotencyKeys {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly transaction: (tx_ref: string) => TransactionRecord | null,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private row(key: string): KeyRow | null {
    return one(
      this.sql.exec<KeyRow>(
        "SELECT fingerprint, tx_ref, state, status_code, response_json, locked_until_ms FROM idempotency WHERE key = ?",
        key,
      ),
    );
  }

  /** Replay, mismatch or in flight from a row; null when the key may proceed. */
  private verdictOf(
    row: KeyRow,
    input: IdempotencyInput,
    now_ms: number,
  ): Exclude<KeyVerdict, { outcome: "resume" }> | null {
    if (row.fingerprint !== input.fingerprint) return { outcome: "key_mismatch" };
    if (row.state === "done" && row.status_code !== null && row.response_json !== null) {
      return {
        outcome: "replay",
        answer: { status_code: row.status_code, body: JSON.parse(row.response_json) },
      };
    }
    if (row.locked_until_ms > now_ms) return { outcome: "in_flight" };
    return null;
  }

  /**
   * Inside a storage transaction: what the key says. `null` means the key is
   * new (the caller inserts it with its transaction). A key whose holder died
   * or gave up is taken over: `resume` with its transaction.
   */
  check(input: IdempotencyInput, now_ms: number): KeyVerdict | null {
    const row = this.row(input.key);
    if (!row) return null;
    const verdict = this.verdictOf(row, input, now_ms);
    if (verdict) return verdict;
    this.sql.exec(
      "UPDATE idempotency SET locked_until_ms = ? WHERE key = ?",
      now_ms + IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
      input.key,
    );
    const tx = row.tx_ref ? this.transaction(row.tx_ref) : null;
    if (!tx) throw new Error("idempotency row without its transaction");
    return { outcome: "resume", tx };
  }

  /**
   * Read-only look at a key, so a handler can answer a replay, a changed body
   * or an in-flight request before doing slow work (the open flows check
   * again, atomically). Null: the key is new, or free to resume.
   */
  peek(input: IdempotencyInput): KeyVerdict | null {
    const row = this.row(input.key);
    return row ? this.verdictOf(row, input, Date.now()) : null;
  }

  /** A new key, held in flight by the request that created `tx_ref` (inside its transaction). */
  insert(input: IdempotencyInput, tx_ref: string, now_ms: number): void {
    this.sql.exec(
      `INSERT INTO idempotency (key, fingerprint, tx_ref, state, locked_until_ms, created_at_ms)
       VALUES (?, ?, ?, 'in_flight', ?, ?)`,
      input.key,
      input.fingerprint,
      tx_ref,
      now_ms + IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
      now_ms,
    );
  }

  /** Store the first answer for a key; later requests with it replay this. */
  complete(key: string, answer: StoredAnswer): void {
    this.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE idempotency SET state = 'done', status_code = ?, response_json = ? WHERE key = ? AND state = 'in_flight'",
        answer.status_code,
        JSON.stringify(answer.body),
        key,
      );
    });
  }

  /** Unknown outcome: let a retry with the same key resume at once. */
  release(key: string): void {
    this.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE idempotency SET locked_until_ms = 0 WHERE key = ? AND state = 'in_flight'",
        key,
      );
    });
  }

  /** Forget keys older than IDEMPOTENCY_TTL_MS (bounded per call). */
  purge(now_ms: number): number {
    return this.storage.transactionSync(
      () =>
        this.sql.exec(
          "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE created_at_ms <= ? LIMIT ?)",
          now_ms - IDEMPOTENCY_TTL_MS,
          IDEMPOTENCY_PURGE_BATCH_MAX,
        ).rowsWritten,
    );
  }

  /** When the oldest key expires, or null. */
  nextExpiryAt(): number | null {
    const oldest = one(
      this.sql.exec<{ at: number | null }>("SELECT MIN(created_at_ms) AS at FROM idempotency"),
    )?.at;
    return oldest === null || oldest === undefined ? null : oldest + IDEMPOTENCY_TTL_MS;
  }
}
