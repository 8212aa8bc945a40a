/**
 * Transactions: reads, and the ONE write path.
 *
 * Every change to a transaction, from its creation to its last stage, goes
 * through `create` or `write` below, called inside the caller's
 * `transactionSync`. In that one storage transaction the write path
 *   1. checks the transition against the flow table (src/domain/flows.ts) and
 *      answers a refusal by name, writing nothing;
 *   2. performs the money effect of the stage it enters (place, post or void
 *      the hold; credit), so the journal row is written with the change;
 *   3. bumps the transaction's `version` when anything a reader can see
 *      changed (scheduling fields alone do not), and
 *   4. appends the new version to the change feed.
 * SQLite triggers (schema.ts) refuse the same illegal transitions again, so
 * even a bug that bypassed step 1 would roll the whole transaction back.
 */
import {
  checkTransition,
  effectOf,
  initialStage,
  statusOf,
  type Stage,
  type StageEffect,
  type TransitionRefusal,
} from "../../domain/flows";
import { assertMinor } from "../../domain/money";
import type { TransactionRecord, TxDetails } from "../../domain/records";
import type { TxStatus, TxType } from "../../domain/transactions";
import { TRANSACTIONS_PAGE_MAX } from "./limits";
import { one } from "../../lib/sqlite";
import { appendChange } from "./feed";
import type { Ledger } from "./ledger";
import type { TierBook } from "./tiers";

export type ListQuery = {
  limit: number;
  starting_after?: string;
  type?: TxType;
  status?: TxStatus;
  created_gte_ms?: number;
  created_lte_ms?: number;
};

export type NewTransaction = {
  tx_ref: string;
  type: TxType;
  amount_minor: number;
  fee_minor: number;
  currency: string;
  details: TxDetails;
  deadline_at_ms: number;
  next_check_at_ms: number;
  provider_ref?: string | null;
};

/** Fields a write may set. `provider_ref: null` leaves a stored reference alone. */
export type TxPatch = {
  provider_ref?: string | null;
  /** Merged into the stored details (new keys added, same keys replaced); never removes one. */
  details?: TxDetails;
  payment_link?: string;
  failure_reason?: string | null;
  escalated_at_ms?: number;
  next_check_at_ms?: number | null;
  check_attempts?: number;
};

export type WriteChange = {
  /** The stage to enter; omitted: stay (allowed only while PENDING). */
  stage?: Stage;
  /** Compare-and-set: refuse unless the transaction is in exactly this stage now. */
  expect_stage?: Stage;
  set?: TxPatch;
};

export type WriteRefusal = TransitionRefusal | "transaction_not_found" | "stage_mismatch";

export type WriteResult =
  | { ok: true; tx: TransactionRecord; changed: boolean }
  | { ok: false; refusal: WriteRefusal; tx: TransactionRecord | null };

type TxRow = Omit<TransactionRecord, "details"> & { details_json: string };

function toRecord(row: TxRow): TransactionRecord {
  const { details_json, ...rest } = row;
  return { ...rest, details: JSON.parse(details_json) as TxDetails };
}

/**
 * Fields only the reconciler reads; changing them alone is not news to anyone,
 * so they reach the feed only with the next visible change (a reader's copy of
 * them may be behind; nothing outside this object acts on them).
 */
export const SCHEDULING_FIELDS = new Set<keyof TransactionRecord>([
  "next_check_at_ms",
  "check_attempts",
]);

function visiblyDifferent(a: TransactionRecord, b: TransactionRecord): boolean {
  for (const key of Object.keys(a) as (keyof TransactionRecord)[]) {
    if (SCHEDULING_FIELDS.has(key) || key === "version" || key === "updated_at_ms") continue;
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return true;
  }
  return false;
}

export class TxStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ledger: Ledger,
    private readonly tiers: TierBook,
  ) {}

  get(tx_ref: string): TransactionRecord | null {
    const row = one(this.sql.exec<TxRow>("SELECT * FROM transactions WHERE tx_ref = ?", tx_ref));
    return row ? toRecord(row) : null;
  }

  /** Newest first; cursor pagination on (created_at_ms, tx_ref). */
  list(
    query: ListQuery,
  ):
    | { ok: true; data: TransactionRecord[]; has_more: boolean }
    | { ok: false; reason: "bad_cursor" } {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), TRANSACTIONS_PAGE_MAX);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.starting_after !== undefined) {
      const cursor = one(
        this.sql.exec<{ created_at_ms: number }>(
          "SELECT created_at_ms FROM transactions WHERE tx_ref = ?",
          query.starting_after,
        ),
      );
      if (!cursor) return { ok: false, reason: "bad_cursor" };
      where.push("(created_at_ms, tx_ref) < (?, ?)");
      params.push(cursor.created_at_ms, query.starting_after);
    }
    const filters: [string, string | number | undefined][] = [
      ["type = ?", query.type],
      ["status = ?", query.status],
      ["created_at_ms >= ?", query.created_gte_ms],
      ["created_at_ms <= ?", query.created_lte_ms],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      params.push(value);
    }
    const sql = `SELECT * FROM transactions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY created_at_ms DESC, tx_ref DESC LIMIT ?`;
    const rows = this.sql.exec<TxRow>(sql, ...params, limit + 1).toArray();
    return { ok: true, data: rows.slice(0, limit).map(toRecord), has_more: rows.length > limit };
  }

  /** Transactions in tx_ref order after `after_tx_ref` ("" for the start), at most `limit`: a stable walk for reprojecting and checking. */
  page(after_tx_ref: string, limit: number): { data: TransactionRecord[]; has_more: boolean } {
    const rows = this.sql
      .exec<TxRow>(
        "SELECT * FROM transactions WHERE tx_ref > ? ORDER BY tx_ref LIMIT ?",
        after_tx_ref,
        limit + 1,
      )
      .toArray();
    return { data: rows.slice(0, limit).map(toRecord), has_more: rows.length > limit };
  }

  /** PENDING transactions whose next check is due, oldest due first. */
  due(now_ms: number, limit: number): TransactionRecord[] {
    return this.sql
      .exec<TxRow>(
        "SELECT * FROM transactions WHERE status = 'PENDING' AND next_check_at_ms <= ? ORDER BY next_check_at_ms LIMIT ?",
        now_ms,
        limit,
      )
      .toArray()
      .map(toRecord);
  }

  /** PENDING transactions of one type (read through the partial index on PENDING rows). */
  countPending(type: TransactionRecord["type"]): number {
    return (
      one(
        this.sql.exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM transactions WHERE status = 'PENDING' AND type = ?",
          type,
        ),
      )?.n ?? 0
    );
  }

  /** The earliest due check, or null. */
  nextDueAt(): number | null {
    return (
      one(
        this.sql.exec<{ at: number | null }>(
          "SELECT MIN(next_check_at_ms) AS at FROM transactions WHERE status = 'PENDING' AND next_check_at_ms IS NOT NULL",
        ),
      )?.at ?? null
    );
  }

  // ---- The write path (call inside transactionSync) ---------------------------------

  /** A new transaction in its flow's initial stage, with that stage's money effect (a hold). */
  create(input: NewTransaction, now_ms: number): TransactionRecord {
    assertMinor(input.amount_minor);
    assertMinor(input.fee_minor);
    const stage = initialStage(input.type);
    const record: TransactionRecord = {
      tx_ref: input.tx_ref,
      type: input.type,
      status: statusOf(input.type, stage),
      stage,
      version: 1,
      amount_minor: input.amount_minor,
      fee_minor: input.fee_minor,
      currency: input.currency,
      provider_ref: input.provider_ref ?? null,
      payment_link: null,
      failure_reason: null,
      details: input.details,
      created_at_ms: now_ms,
      updated_at_ms: now_ms,
      settled_at_ms: null,
      deadline_at_ms: input.deadline_at_ms,
      next_check_at_ms: input.next_check_at_ms,
      check_attempts: 0,
      escalated_at_ms: null,
    };
    this.sql.exec(
      `INSERT INTO transactions (tx_ref, type, status, stage, version, amount_minor, fee_minor, currency, provider_ref, payment_link,
         failure_reason, details_json, created_at_ms, updated_at_ms, settled_at_ms, deadline_at_ms, next_check_at_ms,
         check_attempts, escalated_at_ms)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, NULL, ?, ?, 0, NULL)`,
      record.tx_ref,
      record.type,
      record.status,
      record.stage,
      record.amount_minor,
      record.fee_minor,
      record.currency,
      record.provider_ref,
      JSON.stringify(record.details),
      now_ms,
      now_ms,
      record.deadline_at_ms,
      record.next_check_at_ms,
    );
    this.enter(record, stage, now_ms);
    this.publish(record, now_ms);
    return record;
  }

  /**
   * Change a transaction: optionally move it to another stage (checked against
   * its flow, with the stage's money effect) and set fields. Refusals write
   * nothing and are answered by name.
   */
  write(tx_ref: string, change: WriteChange, now_ms: number): WriteResult {
    const before = this.get(tx_ref);
    if (!before) return { ok: false, refusal: "transaction_not_found", tx: null };
    if (change.expect_stage !== undefined && before.stage !== change.expect_stage)
      return { ok: false, refusal: "stage_mismatch", tx: before };
    const to = change.stage ?? before.stage;
    const refusal = checkTransition(before.type, before.stage, to);
    if (refusal) return { ok: false, refusal, tx: before };

    const set = change.set ?? {};
    const after: TransactionRecord = {
      ...before,
      stage: to,
      status: statusOf(before.type, to),
      provider_ref: set.provider_ref ?? before.provider_ref,
      payment_link: set.payment_link ?? before.payment_link,
      details: set.details ? { ...before.details, ...set.details } : before.details,
      failure_reason: set.failure_reason === undefined ? before.failure_reason : set.failure_reason,
      escalated_at_ms: set.escalated_at_ms ?? before.escalated_at_ms,
      next_check_at_ms:
        set.next_check_at_ms === undefined ? before.next_check_at_ms : set.next_check_at_ms,
      check_attempts: set.check_attempts ?? before.check_attempts,
    };
    if (after.status !== "PENDING" && before.status === "PENDING") {
      after.settled_at_ms = now_ms;
      after.next_check_at_ms = null;
    }
    const changed = visiblyDifferent(before, after);
    if (changed) {
      after.version = before.version + 1;
      after.updated_at_ms = now_ms;
    }
    // RETURNING counts rows; `rowsWritten` would also count index entries.
    const updated = this.sql
      .exec(
        `UPDATE transactions SET status = ?, stage = ?, version = ?, provider_ref = ?, payment_link = ?, failure_reason = ?,
         details_json = ?, updated_at_ms = ?, settled_at_ms = ?, next_check_at_ms = ?, check_attempts = ?, escalated_at_ms = ?
       WHERE tx_ref = ? AND version = ? RETURNING tx_ref`,
        after.status,
        after.stage,
        after.version,
        after.provider_ref,
        after.payment_link,
        after.failure_reason,
        JSON.stringify(after.details),
        after.updated_at_ms,
        after.settled_at_ms,
        after.next_check_at_ms,
        after.check_attempts,
        after.escalated_at_ms,
        tx_ref,
        before.version,
      )
      .toArray();
    if (updated.length !== 1) throw new Error(`write: ${tx_ref} changed under the write path`);
    if (to !== before.stage) this.enter(after, to, now_ms);
    if (changed) this.publish(after, now_ms);
    return { ok: true, tx: after, changed };
  }

  /**
   * The money effect of entering `stage` (flows.ts), in the same transaction as
   * the stage change, and its count against the KYC tier's day (./tiers.ts):
   * every hold, credit and debit counts, whatever the transaction's type; a
   * void or a reversal gives back what the transaction counted, to its day.
   */
  private enter(tx: TransactionRecord, stage: Stage, now_ms: number): void {
    const effect = effectOf(tx.type, stage);
    this.countForTier(tx, effect, now_ms);
    switch (effect) {
      case "none":
        return;
      case "place_hold":
        this.ledger.placeHold(tx.tx_ref, tx.amount_minor + tx.fee_minor, now_ms);
        return;
      case "post_hold":
        this.ledger.post(
          tx.tx_ref,
          "debit",
          this.ledger.resolveHold(tx.tx_ref, "posted", now_ms),
          now_ms,
        );
        return;
      case "void_hold":
        this.ledger.resolveHold(tx.tx_ref, "voided", now_ms);
        return;
      case "credit":
        this.ledger.post(tx.tx_ref, "credit", tx.amount_minor, now_ms);
        return;
      case "debit":
        this.ledger.debitAvailable(tx.tx_ref, tx.amount_minor, now_ms);
        return;
      case "reverse":
        this.ledger.reverse(tx.tx_ref, now_ms);
        return;
      default: {
        const unreachable: never = effect;
        throw new Error(`unhandled stage effect ${String(unreachable)}`);
      }
    }
  }

  private countForTier(tx: TransactionRecord, effect: StageEffect, now_ms: number): void {
    if (effect === "place_hold")
      this.tiers.count(tx.tx_ref, tx.amount_minor + tx.fee_minor, now_ms);
    else if (effect === "credit" || effect === "debit")
      this.tiers.count(tx.tx_ref, tx.amount_minor, now_ms);
    else if (effect === "void_hold" || effect === "reverse") this.tiers.giveBack(tx.tx_ref);
  }

  /** The new version on the feed, with the wallet's if money moved. */
  private publish(tx: TransactionRecord, now_ms: number): void {
    appendChange(
      this.sql,
      "transaction",
      tx.tx_ref,
      tx.version,
      { ...tx, owner_user_id: this.ledger.owner() },
      now_ms,
    );
    this.ledger.flush(now_ms);
  }
}
