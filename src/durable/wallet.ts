/**
 * Wallet: one Durable Object per user; the ledger of record.
 *
 * Why a Durable Object: every call for one user reaches the same single-threaded
 * object (its id comes from the user id, so no coordination is needed to find
 * it), and each mutation below runs as ONE synchronous SQLite transaction
 * (`transactionSync`). There is no lock flag, so no wallet can be left locked by
 * a crashed request, and no network call ever happens inside a transaction.
 * SQLite-backed storage is durable before the response leaves the object.
 *
 * Invariants (ARCHITECTURE.md, proven by test/durable/*.test.ts):
 *  2. available = balance - sum(pending holds) and available >= 0 after every
 *     operation (holds are only placed when available covers them).
 *  4. A funding is credited only when the provider's facts say successful, same
 *     tx_ref, same currency, amount >= expected (src/domain/transactions.ts).
 *     A transaction reaches a terminal state once: every settling statement is
 *     guarded by `status = 'PENDING'`, and the journal's UNIQUE (tx_ref, entry)
 *     makes a second credit or debit for one transaction impossible.
 *  5. Every balance change writes a journal row in the same transaction, so the
 *     balance always equals the journal's credits minus its debits (`audit`).
 *  6. Idempotency keys replay the first answer; a changed body is refused.
 *  7. An alarm re-verifies pending transactions with the provider on a backoff
 *     schedule and ends or escalates them past their deadline.
 */
import { DurableObject } from "cloudflare:workers";
import {
  type ChargeFacts,
  decideFunding,
  decideWithdrawal,
  nextCheckDelayMs,
  type TransferFacts,
  type TxStatus,
  type TxType,
} from "../domain/transactions";
import { assertMinor } from "../domain/money";
import { requireConfig } from "../lib/config";
import {
  BALANCE_MAX_MINOR,
  IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
  IDEMPOTENCY_PURGE_BATCH_MAX,
  IDEMPOTENCY_TTL_MS,
  RECONCILE_BATCH_MAX,
  TRANSACTIONS_PAGE_MAX,
  WITHDRAW_ESCALATE_AFTER_MS,
} from "../lib/limits";
import { log } from "../lib/log";
import { contextFromState } from "../lib/self";
import { migrate, one, type Migration } from "../lib/sqlite";
import { flutterwaveClient } from "../providers/flutterwave";
import type { StatusSnapshot } from "./room";

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
      `CREATE TABLE transactions (
         tx_ref TEXT PRIMARY KEY,
         type TEXT NOT NULL CHECK (type IN ('FUND', 'WITHDRAW', 'AIRTIME', 'DATA')),
         status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
         stage TEXT NOT NULL,
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         fee_minor INTEGER NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
         currency TEXT NOT NULL,
         provider_ref TEXT,
         payment_link TEXT,
         failure_reason TEXT,
         details_json TEXT NOT NULL DEFAULT '{}',
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER,
         deadline_at_ms INTEGER NOT NULL,
         next_check_at_ms INTEGER,
         check_attempts INTEGER NOT NULL DEFAULT 0,
         escalated_at_ms INTEGER
       )`,
      "CREATE INDEX transactions_by_time ON transactions (created_at_ms DESC, tx_ref DESC)",
      "CREATE INDEX transactions_due ON transactions (next_check_at_ms) WHERE status = 'PENDING'",
      `CREATE TABLE holds (
         tx_ref TEXT PRIMARY KEY REFERENCES transactions (tx_ref),
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         status TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'voided')),
         created_at_ms INTEGER NOT NULL,
         resolved_at_ms INTEGER
       )`,
      "CREATE INDEX holds_open ON holds (status) WHERE status = 'pending'",
      `CREATE TABLE journal (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         tx_ref TEXT NOT NULL REFERENCES transactions (tx_ref),
         entry TEXT NOT NULL CHECK (entry IN ('credit', 'debit')),
         amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
         balance_after_minor INTEGER NOT NULL CHECK (balance_after_minor >= 0),
         created_at_ms INTEGER NOT NULL,
         UNIQUE (tx_ref, entry)
       )`,
      `CREATE TABLE idempotency (
         key TEXT PRIMARY KEY,
         fingerprint TEXT NOT NULL,
         tx_ref TEXT,
         state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
         status_code INTEGER,
         response_json TEXT,
         locked_until_ms INTEGER NOT NULL,
         created_at_ms INTEGER NOT NULL
       )`,
      "CREATE INDEX idempotency_by_age ON idempotency (created_at_ms)",
      `CREATE TABLE provider_events (
         event_key TEXT PRIMARY KEY,
         tx_ref TEXT NOT NULL,
         outcome TEXT NOT NULL,
         processed_at_ms INTEGER NOT NULL
       )`,
      `CREATE TABLE anomalies (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         tx_ref TEXT NOT NULL,
         kind TEXT NOT NULL,
         detail TEXT NOT NULL,
         created_at_ms INTEGER NOT NULL,
         UNIQUE (tx_ref, kind)
       )`,
    ],
  },
];

// ---- Types shared with callers --------------------------------------------------

export type Profile = { user_id: string; email: string; full_name: string | null; created_at_ms: number };

export type WalletSummary = {
  user_id: string;
  currency: string;
  balance_minor: number;
  held_minor: number;
  available_minor: number;
  is_active: boolean;
};

/** Per-type extra facts (bank, narration, phone...). Flat and serialisable. */
export type TxDetails = Record<string, string | number | boolean | null>;

export type TransactionRecord = {
  tx_ref: string;
  type: TxType;
  status: TxStatus;
  stage: string;
  amount_minor: number;
  fee_minor: number;
  currency: string;
  provider_ref: string | null;
  payment_link: string | null;
  failure_reason: string | null;
  details: TxDetails;
  created_at_ms: number;
  updated_at_ms: number;
  settled_at_ms: number | null;
  deadline_at_ms: number;
  next_check_at_ms: number | null;
  check_attempts: number;
  escalated_at_ms: number | null;
};

export type IdempotencyInput = { key: string; fingerprint: string };

/** What a stored idempotent answer looks like. */
export type StoredAnswer = { status_code: number; body: unknown };

export type OpenOutcome =
  | { outcome: "opened"; tx: TransactionRecord }
  | { outcome: "resume"; tx: TransactionRecord }
  | { outcome: "replay"; answer: StoredAnswer }
  | { outcome: "key_mismatch" }
  | { outcome: "in_flight" }
  | { outcome: "inactive" }
  | { outcome: "no_wallet" };

export type WithdrawOutcome = OpenOutcome | { outcome: "insufficient_funds"; available_minor: number; required_minor: number };

export type SettleSource = { via: "webhook" | "reconciler" | "callback" | "create"; event_key?: string };

export type SettleOutcome =
  | { outcome: "credited"; tx: TransactionRecord }
  | { outcome: "debited"; tx: TransactionRecord }
  | { outcome: "failed"; tx: TransactionRecord }
  | { outcome: "unchanged"; tx: TransactionRecord; reason: string }
  | { outcome: "unknown_tx" }
  | { outcome: "wrong_type"; tx: TransactionRecord };

export type ListQuery = {
  limit: number;
  starting_after?: string;
  type?: TxType;
  status?: TxStatus;
  created_gte_ms?: number;
  created_lte_ms?: number;
};

export type Audit = {
  balance_minor: number;
  journal_balance_minor: number;
  held_minor: number;
  available_minor: number;
  journal_rows: number;
  ok: boolean;
};

type TxRow = Omit<TransactionRecord, "details"> & { details_json: string };

function toRecord(row: TxRow): TransactionRecord {
  const { details_json, ...rest } = row;
  return { ...rest, details: JSON.parse(details_json) as TxDetails };
}

export function snapshotOf(user_id: string, tx: TransactionRecord): StatusSnapshot {
  return {
    tx_ref: tx.tx_ref,
    owner_user_id: user_id,
    type: tx.type,
    status: tx.status,
    amount_minor: tx.amount_minor,
    currency: tx.currency,
    failure_reason: tx.failure_reason,
    stage: tx.stage,
    updated_at_ms: tx.updated_at_ms,
  };
}

export class Wallet extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
    });
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  // ==== Profile and wallet ======================================================

  private profileRow(): Profile | null {
    return one(this.sql.exec<Profile>("SELECT user_id, email, full_name, created_at_ms FROM profile WHERE id = 1"));
  }

  /**
   * Create the profile and an empty, active wallet. Idempotent: a retried
   * registration finds them in place. Returns null if the object already belongs
   * to another user id (a routing bug in the caller).
   */
  async init(input: { user_id: string; email: string; full_name: string | null; currency: string }): Promise<Profile | null> {
    const now_ms = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO profile (id, user_id, email, full_name, created_at_ms) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        input.user_id,
        input.email,
        input.full_name,
        now_ms,
      );
      this.sql.exec(
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

  private walletRow(): { currency: string; balance_minor: number; is_active: number } | null {
    return one(this.sql.exec<{ currency: string; balance_minor: number; is_active: number }>(
      "SELECT currency, balance_minor, is_active FROM wallet WHERE id = 1",
    ));
  }

  private heldMinor(): number {
    const row = one(this.sql.exec<{ held: number }>("SELECT COALESCE(SUM(amount_minor), 0) AS held FROM holds WHERE status = 'pending'"));
    return row?.held ?? 0;
  }

  private summaryNow(): WalletSummary | null {
    const wallet = this.walletRow();
    const profile = this.profileRow();
    if (!wallet || !profile) return null;
    const held_minor = this.heldMinor();
    const available_minor = wallet.balance_minor - held_minor;
    if (available_minor < 0) throw new Error(`invariant broken: available ${available_minor} < 0`);
    return {
      user_id: profile.user_id,
      currency: wallet.currency,
      balance_minor: wallet.balance_minor,
      held_minor,
      available_minor,
      is_active: wallet.is_active === 1,
    };
  }

  async summary(): Promise<WalletSummary | null> {
    return this.summaryNow();
  }

  /** Flip `is_active`. An inactive wallet refuses new fundings, withdrawals and purchases. */
  async toggleActive(): Promise<WalletSummary | null> {
    this.sql.exec("UPDATE wallet SET is_active = 1 - is_active, updated_at_ms = ? WHERE id = 1", Date.now());
    return this.summaryNow();
  }

  // ==== Transactions (read) =====================================================

  private txRow(tx_ref: string): TransactionRecord | null {
    const row = one(this.sql.exec<TxRow>("SELECT * FROM transactions WHERE tx_ref = ?", tx_ref));
    return row ? toRecord(row) : null;
  }

  async getTransaction(tx_ref: string): Promise<TransactionRecord | null> {
    return this.txRow(tx_ref);
  }

  /** Newest first; cursor pagination on (created_at_ms, tx_ref). */
  async listTransactions(query: ListQuery): Promise<{ ok: true; data: TransactionRecord[]; has_more: boolean } | { ok: false; reason: "bad_cursor" }> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), TRANSACTIONS_PAGE_MAX);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.starting_after !== undefined) {
      const cursor = one(this.sql.exec<{ created_at_ms: number }>("SELECT created_at_ms FROM transactions WHERE tx_ref = ?", query.starting_after));
      if (!cursor) return { ok: false, reason: "bad_cursor" };
      where.push("(created_at_ms, tx_ref) < (?, ?)");
      params.push(cursor.created_at_ms, query.starting_after);
    }
    if (query.type) {
      where.push("type = ?");
      params.push(query.type);
    }
    if (query.status) {
      where.push("status = ?");
      params.push(query.status);
    }
    if (query.created_gte_ms !== undefined) {
      where.push("created_at_ms >= ?");
      params.push(query.created_gte_ms);
    }
    if (query.created_lte_ms !== undefined) {
      where.push("created_at_ms <= ?");
      params.push(query.created_lte_ms);
    }
    const sql = `SELECT * FROM transactions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY created_at_ms DESC, tx_ref DESC LIMIT ?`;
    const rows = this.sql.exec<TxRow>(sql, ...params, limit + 1).toArray();
    return { ok: true, data: rows.slice(0, limit).map(toRecord), has_more: rows.length > limit };
  }

  // ==== Idempotency =============================================================

  /**
   * Inside a storage transaction: what an Idempotency-Key says about this
   * request. `null` means the key is new (the caller inserts it with its tx).
   */
  private checkKey(idempotency: IdempotencyInput, now_ms: number): OpenOutcome | null {
    const row = one(
      this.sql.exec<{ fingerprint: string; tx_ref: string | null; state: string; status_code: number | null; response_json: string | null; locked_until_ms: number }>(
        "SELECT fingerprint, tx_ref, state, status_code, response_json, locked_until_ms FROM idempotency WHERE key = ?",
        idempotency.key,
      ),
    );
    if (!row) return null;
    if (row.fingerprint !== idempotency.fingerprint) return { outcome: "key_mismatch" };
    if (row.state === "done" && row.status_code !== null && row.response_json !== null) {
      return { outcome: "replay", answer: { status_code: row.status_code, body: JSON.parse(row.response_json) } };
    }
    if (row.locked_until_ms > now_ms) return { outcome: "in_flight" };
    // The request that held the key died or gave up with an unknown outcome:
    // this one resumes the same transaction (never a second one).
    this.sql.exec("UPDATE idempotency SET locked_until_ms = ? WHERE key = ?", now_ms + IDEMPOTENCY_IN_FLIGHT_LOCK_MS, idempotency.key);
    const tx = row.tx_ref ? this.txRow(row.tx_ref) : null;
    if (!tx) throw new Error("idempotency row without its transaction");
    return { outcome: "resume", tx };
  }

  /** A new key, held in flight by the request that created `tx_ref` (inside its transaction). */
  private insertKey(idempotency: IdempotencyInput, tx_ref: string, now_ms: number): void {
    this.sql.exec(
      `INSERT INTO idempotency (key, fingerprint, tx_ref, state, locked_until_ms, created_at_ms)
       VALUES (?, ?, ?, 'in_flight', ?, ?)`,
      idempotency.key,
      idempotency.fingerprint,
      tx_ref,
      now_ms + IDEMPOTENCY_IN_FLIGHT_LOCK_MS,
      now_ms,
    );
  }

  /** Store the first answer for a key; later requests with it replay this. */
  async completeIdempotency(key: string, answer: StoredAnswer): Promise<void> {
    this.sql.exec(
      "UPDATE idempotency SET state = 'done', status_code = ?, response_json = ? WHERE key = ? AND state = 'in_flight'",
      answer.status_code,
      JSON.stringify(answer.body),
      key,
    );
  }

  /** Unknown outcome: let a retry with the same key resume at once. */
  async releaseIdempotency(key: string): Promise<void> {
    this.sql.exec("UPDATE idempotency SET locked_until_ms = 0 WHERE key = ? AND state = 'in_flight'", key);
  }

  /**
   * Read-only look at a key, so a handler can answer a replay, a changed body
   * or an in-flight request before doing slow work (the open* methods check
   * again, atomically). Null: the key is new, or free to resume.
   */
  async peekIdempotency(idempotency: IdempotencyInput): Promise<OpenOutcome | null> {
    const row = one(
      this.sql.exec<{ fingerprint: string; state: string; status_code: number | null; response_json: string | null; locked_until_ms: number }>(
        "SELECT fingerprint, state, status_code, response_json, locked_until_ms FROM idempotency WHERE key = ?",
        idempotency.key,
      ),
    );
    if (!row) return null;
    if (row.fingerprint !== idempotency.fingerprint) return { outcome: "key_mismatch" };
    if (row.state === "done" && row.status_code !== null && row.response_json !== null) {
      return { outcome: "replay", answer: { status_code: row.status_code, body: JSON.parse(row.response_json) } };
    }
    if (row.locked_until_ms > Date.now()) return { outcome: "in_flight" };
    return null;
  }

  // ==== Funding =================================================================

  /**
   * Open a PENDING funding (one storage transaction: the key check, the wallet
   * checks and the insert). The provider is called by the Worker afterwards.
   */
  async openFunding(input: {
    tx_ref: string;
    amount_minor: number;
    currency: string;
    deadline_at_ms: number;
    idempotency?: IdempotencyInput;
  }): Promise<OpenOutcome> {
    assertMinor(input.amount_minor);
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync((): OpenOutcome => {
      if (input.idempotency) {
        const existing = this.checkKey(input.idempotency, now_ms);
        if (existing) return existing;
      }
      const wallet = this.walletRow();
      if (!wallet) return { outcome: "no_wallet" };
      if (wallet.is_active !== 1) return { outcome: "inactive" };
      this.sql.exec(
        `INSERT INTO transactions (tx_ref, type, status, stage, amount_minor, currency, created_at_ms, updated_at_ms, deadline_at_ms, next_check_at_ms)
         VALUES (?, 'FUND', 'PENDING', 'link_requested', ?, ?, ?, ?, ?, ?)`,
        input.tx_ref,
        input.amount_minor,
        input.currency,
        now_ms,
        now_ms,
        input.deadline_at_ms,
        now_ms + nextCheckDelayMs(0),
      );
      if (input.idempotency) this.insertKey(input.idempotency, input.tx_ref, now_ms);
      return { outcome: "opened", tx: this.txRow(input.tx_ref)! };
    });
    if (result.outcome === "opened") {
      await this.scheduleAlarm();
      await this.notify(result.tx);
    }
    return result;
  }

  /** The provider gave us a checkout link. */
  async attachPaymentLink(tx_ref: string, payment_link: string): Promise<TransactionRecord | null> {
    this.sql.exec(
      `UPDATE transactions SET payment_link = ?, stage = 'awaiting_payment', updated_at_ms = ?
       WHERE tx_ref = ? AND type = 'FUND' AND status = 'PENDING'`,
      payment_link,
      Date.now(),
      tx_ref,
    );
    return this.txRow(tx_ref);
  }

  /** The provider may or may not have created the link: stay pending, check soon. */
  async markLinkUnknown(tx_ref: string): Promise<TransactionRecord | null> {
    return this.markOutcomeUnknown(tx_ref, "FUND", "link_unknown");
  }

  /**
   * A provider call's outcome is unknown (timeout, 5xx): the transaction stays
   * PENDING and the reconciler looks it up soon. Never a failure on a guess.
   */
  private async markOutcomeUnknown(tx_ref: string, type: "FUND" | "WITHDRAW", stage: string): Promise<TransactionRecord | null> {
    const now_ms = Date.now();
    this.sql.exec(
      `UPDATE transactions SET stage = ?, updated_at_ms = ?, next_check_at_ms = ?
       WHERE tx_ref = ? AND type = ? AND status = 'PENDING'`,
      stage,
      now_ms,
      now_ms + nextCheckDelayMs(0),
      tx_ref,
      type,
    );
    await this.scheduleAlarm();
    return this.txRow(tx_ref);
  }

  /** The provider definitely refused to create the checkout: nothing was paid. */
  async refuseFunding(tx_ref: string, reason: string): Promise<TransactionRecord | null> {
    const now_ms = Date.now();
    const changed = this.ctx.storage.transactionSync(() => {
      const tx = this.txRow(tx_ref);
      if (!tx || tx.type !== "FUND" || tx.status !== "PENDING") return false;
      this.finish(tx_ref, "FAILED", reason, null, now_ms, "refused");
      return true;
    });
    const tx = this.txRow(tx_ref);
    if (changed && tx) await this.notify(tx);
    return tx;
  }

  /**
   * Apply what the provider says about a funding's charge. Safe to call any
   * number of times, in any order, from webhooks, the reconciler or the
   * callback page: only the first terminal decision changes anything.
   */
  async applyFundingFacts(tx_ref: string, facts: ChargeFacts, source: SettleSource): Promise<SettleOutcome> {
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync((): SettleOutcome => {
      const tx = this.txRow(tx_ref);
      if (!tx) return { outcome: "unknown_tx" };
      if (tx.type !== "FUND") return { outcome: "wrong_type", tx };
      const decision = decideFunding(tx, facts, now_ms);
      let outcome: SettleOutcome;
      switch (decision.kind) {
        case "credit": {
          const wallet = this.walletRow()!;
          if (wallet.balance_minor + decision.amount_minor > BALANCE_MAX_MINOR) {
            this.finish(tx_ref, "FAILED", "Wallet balance limit reached; the payment will be refunded.", decision.provider_id, now_ms);
            this.anomaly(tx_ref, "refund_due", `balance limit; paid ${tx.amount_minor} kobo`, now_ms);
            outcome = { outcome: "failed", tx: this.txRow(tx_ref)! };
            break;
          }
          this.post(tx_ref, "credit", decision.amount_minor, now_ms);
          this.finish(tx_ref, "SUCCESS", null, decision.provider_id, now_ms);
          if (decision.overpaid_minor > 0) {
            this.anomaly(tx_ref, "overpaid", `excess ${decision.overpaid_minor} kobo to refund`, now_ms);
          }
          outcome = { outcome: "credited", tx: this.txRow(tx_ref)! };
          break;
        }
        case "fail": {
          this.finish(tx_ref, "FAILED", decision.reason, decision.provider_id, now_ms);
          if (decision.provider_id && facts.found && facts.status === "successful") {
            this.anomaly(tx_ref, "refund_due", decision.reason, now_ms);
          }
          outcome = { outcome: "failed", tx: this.txRow(tx_ref)! };
          break;
        }
        case "attempt_failed": {
          this.sql.exec(
            "UPDATE transactions SET stage = 'attempt_failed', provider_ref = ?, updated_at_ms = ? WHERE tx_ref = ? AND status = 'PENDING'",
            decision.provider_id,
            now_ms,
            tx_ref,
          );
          outcome = { outcome: "unchanged", tx: this.txRow(tx_ref)!, reason: "attempt_failed" };
          break;
        }
        case "escalate": {
          this.escalate(tx_ref, decision.reason, now_ms);
          outcome = { outcome: "unchanged", tx: this.txRow(tx_ref)!, reason: "escalated" };
          break;
        }
        case "wait":
          outcome = { outcome: "unchanged", tx, reason: "pending" };
          break;
        case "ignore":
          if (decision.late_success) {
            this.anomaly(tx_ref, "paid_after_terminal", "successful payment after the funding ended; refund or credit by hand", now_ms);
          }
          outcome = { outcome: "unchanged", tx, reason: decision.reason };
          break;
        default: {
          const unreachable: never = decision;
          throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
        }
      }
      this.recordEvent(source, tx_ref, outcome.outcome, now_ms);
      return outcome;
    });
    if (result.outcome === "credited" || result.outcome === "failed") {
      log.info("funding settled", { tx_ref, outcome: result.outcome, via: source.via, user_id: this.profileRow()?.user_id });
      await this.notify(result.tx);
    } else if (result.outcome === "unchanged" && result.reason === "attempt_failed") {
      await this.notify(result.tx);
    }
    return result;
  }

  // ==== Withdrawals ==============================================================

  /**
   * Open a PENDING withdrawal and place its hold, in one storage transaction:
   * the key check, the wallet checks, `available >= amount + fee`, the insert
   * and the hold. Concurrent requests are serialised by the object, so the sum
   * of holds can never exceed the balance (invariant 2).
   */
  async openWithdrawal(input: {
    tx_ref: string;
    amount_minor: number;
    fee_minor: number;
    currency: string;
    details: TxDetails;
    idempotency?: IdempotencyInput;
  }): Promise<WithdrawOutcome> {
    assertMinor(input.amount_minor);
    assertMinor(input.fee_minor);
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync((): WithdrawOutcome => {
      if (input.idempotency) {
        const existing = this.checkKey(input.idempotency, now_ms);
        if (existing) return existing;
      }
      const wallet = this.walletRow();
      if (!wallet) return { outcome: "no_wallet" };
      if (wallet.is_active !== 1) return { outcome: "inactive" };
      const required_minor = input.amount_minor + input.fee_minor;
      const available_minor = wallet.balance_minor - this.heldMinor();
      if (available_minor < required_minor) return { outcome: "insufficient_funds", available_minor, required_minor };
      this.sql.exec(
        `INSERT INTO transactions (tx_ref, type, status, stage, amount_minor, fee_minor, currency, details_json,
           created_at_ms, updated_at_ms, deadline_at_ms, next_check_at_ms)
         VALUES (?, 'WITHDRAW', 'PENDING', 'hold_placed', ?, ?, ?, ?, ?, ?, ?, ?)`,
        input.tx_ref,
        input.amount_minor,
        input.fee_minor,
        input.currency,
        JSON.stringify(input.details),
        now_ms,
        now_ms,
        now_ms + WITHDRAW_ESCALATE_AFTER_MS,
        now_ms + nextCheckDelayMs(0),
      );
      this.sql.exec(
        "INSERT INTO holds (tx_ref, amount_minor, status, created_at_ms) VALUES (?, ?, 'pending', ?)",
        input.tx_ref,
        required_minor,
        now_ms,
      );
      if (input.idempotency) this.insertKey(input.idempotency, input.tx_ref, now_ms);
      return { outcome: "opened", tx: this.txRow(input.tx_ref)! };
    });
    if (result.outcome === "opened") {
      await this.scheduleAlarm();
      await this.notify(result.tx);
    }
    return result;
  }

  /**
   * Claim the right to submit the transfer (compare-and-set hold_placed ->
   * submitting). Exactly one caller ever wins for a tx_ref, so a transfer is
   * never submitted twice; a loser answers with the transaction as it stands.
   */
  async markSubmitting(tx_ref: string): Promise<boolean> {
    const cursor = this.sql.exec(
      "UPDATE transactions SET stage = 'submitting', updated_at_ms = ? WHERE tx_ref = ? AND type = 'WITHDRAW' AND status = 'PENDING' AND stage = 'hold_placed'",
      Date.now(),
      tx_ref,
    );
    return cursor.rowsWritten > 0;
  }

  /** The provider accepted the transfer (it is queued there). */
  async recordTransferSubmitted(tx_ref: string, provider_id: string): Promise<TransactionRecord | null> {
    this.sql.exec(
      `UPDATE transactions SET stage = 'submitted', provider_ref = ?, updated_at_ms = ?
       WHERE tx_ref = ? AND type = 'WITHDRAW' AND status = 'PENDING'`,
      provider_id,
      Date.now(),
      tx_ref,
    );
    return this.txRow(tx_ref);
  }

  /** The create call's outcome is unknown: keep the hold, look it up by reference soon. */
  async markTransferUnknown(tx_ref: string): Promise<TransactionRecord | null> {
    return this.markOutcomeUnknown(tx_ref, "WITHDRAW", "submit_unknown");
  }

  /** The provider definitely refused the transfer (4xx on create): void the hold now. */
  async refuseWithdrawal(tx_ref: string, reason: string): Promise<TransactionRecord | null> {
    const now_ms = Date.now();
    const changed = this.ctx.storage.transactionSync(() => {
      const tx = this.txRow(tx_ref);
      if (!tx || tx.type !== "WITHDRAW" || tx.status !== "PENDING") return false;
      this.resolveHold(tx_ref, "voided", now_ms);
      this.finish(tx_ref, "FAILED", reason, null, now_ms, "refused");
      return true;
    });
    const tx = this.txRow(tx_ref);
    if (changed && tx) await this.notify(tx);
    return tx;
  }

  /**
   * Apply what the provider says about a withdrawal's transfer. Safe to call any
   * number of times in any order: the hold is posted or voided at most once.
   */
  async applyTransferFacts(tx_ref: string, facts: TransferFacts, source: SettleSource): Promise<SettleOutcome> {
    const now_ms = Date.now();
    const result = this.ctx.storage.transactionSync((): SettleOutcome => {
      const tx = this.txRow(tx_ref);
      if (!tx) return { outcome: "unknown_tx" };
      if (tx.type !== "WITHDRAW") return { outcome: "wrong_type", tx };
      const decision = decideWithdrawal(tx, facts, now_ms, WITHDRAW_ESCALATE_AFTER_MS);
      let outcome: SettleOutcome;
      switch (decision.kind) {
        case "post": {
          const hold_minor = this.resolveHold(tx_ref, "posted", now_ms);
          this.post(tx_ref, "debit", hold_minor, now_ms);
          this.finish(tx_ref, "SUCCESS", null, decision.provider_id, now_ms);
          outcome = { outcome: "debited", tx: this.txRow(tx_ref)! };
          break;
        }
        case "void": {
          this.resolveHold(tx_ref, "voided", now_ms);
          this.finish(tx_ref, "FAILED", decision.reason, decision.provider_id, now_ms);
          outcome = { outcome: "failed", tx: this.txRow(tx_ref)! };
          break;
        }
        case "escalate":
          this.escalate(tx_ref, decision.reason, now_ms);
          outcome = { outcome: "unchanged", tx: this.txRow(tx_ref)!, reason: "escalated" };
          break;
        case "wait":
          if (facts.found && !tx.provider_ref) {
            this.sql.exec("UPDATE transactions SET provider_ref = ?, stage = 'submitted', updated_at_ms = ? WHERE tx_ref = ?", facts.provider_id, now_ms, tx_ref);
          }
          outcome = { outcome: "unchanged", tx: this.txRow(tx_ref)!, reason: "pending" };
          break;
        case "ignore":
          if (decision.late_success) {
            this.anomaly(tx_ref, "paid_after_void", "the provider reports a successful transfer for a withdrawal we voided; recover the funds", now_ms);
          }
          outcome = { outcome: "unchanged", tx, reason: decision.reason };
          break;
        default: {
          const unreachable: never = decision;
          throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
        }
      }
      this.recordEvent(source, tx_ref, outcome.outcome, now_ms);
      return outcome;
    });
    if (result.outcome === "debited" || result.outcome === "failed") {
      log.info("withdrawal settled", { tx_ref, outcome: result.outcome, via: source.via, user_id: this.profileRow()?.user_id });
      await this.notify(result.tx);
    }
    return result;
  }

  /** Close a pending hold; returns its amount. Throws if there is none (a bug). */
  private resolveHold(tx_ref: string, status: "posted" | "voided", now_ms: number): number {
    const hold = one(this.sql.exec<{ amount_minor: number }>("SELECT amount_minor FROM holds WHERE tx_ref = ? AND status = 'pending'", tx_ref));
    if (!hold) throw new Error(`no pending hold for ${tx_ref}`);
    this.sql.exec("UPDATE holds SET status = ?, resolved_at_ms = ? WHERE tx_ref = ? AND status = 'pending'", status, now_ms, tx_ref);
    return hold.amount_minor;
  }

  // ==== Ledger primitives (call only inside transactionSync) =====================

  /** One journal row and the matching balance change. */
  private post(tx_ref: string, entry: "credit" | "debit", amount_minor: number, now_ms: number): void {
    assertMinor(amount_minor);
    const wallet = this.walletRow();
    if (!wallet) throw new Error("post without a wallet");
    const balance_after_minor = entry === "credit" ? wallet.balance_minor + amount_minor : wallet.balance_minor - amount_minor;
    if (balance_after_minor < 0) throw new Error(`invariant broken: balance would be ${balance_after_minor}`);
    // UNIQUE (tx_ref, entry): a second credit or debit for one transaction throws
    // and rolls the whole storage transaction back.
    this.sql.exec(
      "INSERT INTO journal (tx_ref, entry, amount_minor, balance_after_minor, created_at_ms) VALUES (?, ?, ?, ?, ?)",
      tx_ref,
      entry,
      amount_minor,
      balance_after_minor,
      now_ms,
    );
    this.sql.exec("UPDATE wallet SET balance_minor = ?, updated_at_ms = ? WHERE id = 1", balance_after_minor, now_ms);
  }

  private finish(
    tx_ref: string,
    status: "SUCCESS" | "FAILED",
    reason: string | null,
    provider_ref: string | null,
    now_ms: number,
    stage: string = status === "SUCCESS" ? "settled" : "failed",
  ): void {
    const cursor = this.sql.exec(
      `UPDATE transactions SET status = ?, stage = ?, failure_reason = ?, provider_ref = COALESCE(?, provider_ref),
         updated_at_ms = ?, settled_at_ms = ?, next_check_at_ms = NULL
       WHERE tx_ref = ? AND status = 'PENDING'`,
      status,
      stage,
      reason,
      provider_ref,
      now_ms,
      now_ms,
      tx_ref,
    );
    if (cursor.rowsWritten !== 1) throw new Error(`finish: ${tx_ref} was not pending`);
  }

  /** Remember a provider event and what it did (audit trail; the guard is the status check). */
  private recordEvent(source: SettleSource, tx_ref: string, outcome: string, now_ms: number): void {
    if (!source.event_key) return;
    this.sql.exec(
      "INSERT INTO provider_events (event_key, tx_ref, outcome, processed_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING",
      source.event_key,
      tx_ref,
      outcome,
      now_ms,
    );
  }

  private escalate(tx_ref: string, reason: string, now_ms: number): void {
    const cursor = this.sql.exec(
      "UPDATE transactions SET escalated_at_ms = ?, updated_at_ms = ? WHERE tx_ref = ? AND status = 'PENDING' AND escalated_at_ms IS NULL",
      now_ms,
      now_ms,
      tx_ref,
    );
    if (cursor.rowsWritten > 0) {
      this.anomaly(tx_ref, "escalated", reason, now_ms);
      log.error("transaction escalated to operators", { tx_ref, reason });
    }
  }

  private anomaly(tx_ref: string, kind: string, detail: string, now_ms: number): void {
    const cursor = this.sql.exec(
      "INSERT INTO anomalies (tx_ref, kind, detail, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (tx_ref, kind) DO NOTHING",
      tx_ref,
      kind,
      detail,
      now_ms,
    );
    if (cursor.rowsWritten > 0) log.error("ledger anomaly recorded", { tx_ref, kind, detail });
  }

  async anomalies(): Promise<{ tx_ref: string; kind: string; detail: string; created_at_ms: number }[]> {
    return this.sql
      .exec<{ tx_ref: string; kind: string; detail: string; created_at_ms: number }>(
        "SELECT tx_ref, kind, detail, created_at_ms FROM anomalies ORDER BY id LIMIT 100",
      )
      .toArray();
  }

  /** Invariants 2 and 5, computed from storage. */
  async audit(): Promise<Audit> {
    const wallet = this.walletRow();
    const journal = one(
      this.sql.exec<{ credits: number; debits: number; rows: number }>(
        `SELECT COALESCE(SUM(CASE WHEN entry = 'credit' THEN amount_minor ELSE 0 END), 0) AS credits,
                COALESCE(SUM(CASE WHEN entry = 'debit' THEN amount_minor ELSE 0 END), 0) AS debits,
                COUNT(*) AS rows
         FROM journal`,
      ),
    )!;
    const balance_minor = wallet?.balance_minor ?? 0;
    const held_minor = this.heldMinor();
    const journal_balance_minor = journal.credits - journal.debits;
    const available_minor = balance_minor - held_minor;
    return {
      balance_minor,
      journal_balance_minor,
      held_minor,
      available_minor,
      journal_rows: journal.rows,
      ok: balance_minor === journal_balance_minor && available_minor >= 0,
    };
  }

  // ==== Reconciler (alarm) ======================================================

  /** Arm the alarm for the earliest due check or key expiry. */
  private async scheduleAlarm(): Promise<void> {
    const due = one(
      this.sql.exec<{ at: number | null }>("SELECT MIN(next_check_at_ms) AS at FROM transactions WHERE status = 'PENDING' AND next_check_at_ms IS NOT NULL"),
    )?.at;
    const oldest_key = one(this.sql.exec<{ at: number | null }>("SELECT MIN(created_at_ms) AS at FROM idempotency"))?.at;
    const candidates = [due, oldest_key === null || oldest_key === undefined ? null : oldest_key + IDEMPOTENCY_TTL_MS].filter(
      (v): v is number => typeof v === "number",
    );
    if (candidates.length === 0) return;
    const wanted = Math.min(...candidates);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > wanted) await this.ctx.storage.setAlarm(Math.max(wanted, Date.now()));
  }

  /**
   * Re-verify due pending transactions with the provider (bounded batch), purge
   * expired idempotency keys, and re-arm. Each due row's next check is pushed
   * back BEFORE the network call, so a crash cannot cause a hot loop.
   */
  override async alarm(): Promise<void> {
    const now_ms = Date.now();
    this.sql.exec(
      "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE created_at_ms <= ? LIMIT ?)",
      now_ms - IDEMPOTENCY_TTL_MS,
      IDEMPOTENCY_PURGE_BATCH_MAX,
    );
    const due = this.ctx.storage.transactionSync(() => {
      const rows = this.sql
        .exec<TxRow>(
          "SELECT * FROM transactions WHERE status = 'PENDING' AND next_check_at_ms <= ? ORDER BY next_check_at_ms LIMIT ?",
          now_ms,
          RECONCILE_BATCH_MAX,
        )
        .toArray()
        .map(toRecord);
      for (const tx of rows) {
        const attempts = tx.check_attempts + 1;
        let next = now_ms + nextCheckDelayMs(attempts);
        if (now_ms < tx.deadline_at_ms) next = Math.min(next, tx.deadline_at_ms);
        this.sql.exec("UPDATE transactions SET check_attempts = ?, next_check_at_ms = ? WHERE tx_ref = ?", attempts, next, tx.tx_ref);
      }
      return rows;
    });
    for (const tx of due) {
      try {
        await this.reconcile(tx);
      } catch (error) {
        log.error("reconcile failed", { tx_ref: tx.tx_ref, error });
      }
    }
    await this.scheduleAlarm();
  }

  private async reconcile(tx: TransactionRecord): Promise<void> {
    const config = requireConfig(this.env);
    const flutterwave = flutterwaveClient(this.env, contextFromState(this.ctx), config);
    switch (tx.type) {
      case "FUND": {
        const verified = await flutterwave.verifyByReference(tx.tx_ref);
        if (verified.ok) {
          const v = verified.value;
          await this.applyFundingFacts(tx.tx_ref, { found: true, ...v }, { via: "reconciler" });
        } else if (verified.kind === "not_found") {
          await this.applyFundingFacts(tx.tx_ref, { found: false }, { via: "reconciler" });
        } else {
          log.warn("reconcile: provider gave no answer; will retry", { tx_ref: tx.tx_ref, kind: verified.kind });
        }
        return;
      }
      case "WITHDRAW": {
        if (tx.stage === "hold_placed") {
          // The request that placed the hold never claimed the submission: the
          // provider was never called, so voiding is not a guess. The CAS in
          // abandonWithdrawal keeps a late request from submitting afterwards.
          if (Date.now() - tx.created_at_ms >= IDEMPOTENCY_IN_FLIGHT_LOCK_MS) await this.abandonWithdrawal(tx.tx_ref);
          return;
        }
        const found = tx.provider_ref ? await flutterwave.getTransfer(tx.provider_ref) : await flutterwave.findTransferByReference(tx.tx_ref);
        if (found.ok) {
          await this.applyTransferFacts(tx.tx_ref, { found: true, ...found.value }, { via: "reconciler" });
        } else if (found.kind === "not_found") {
          await this.applyTransferFacts(tx.tx_ref, { found: false }, { via: "reconciler" });
        } else {
          log.warn("reconcile: provider gave no answer; will retry", { tx_ref: tx.tx_ref, kind: found.kind });
        }
        return;
      }
      case "AIRTIME":
      case "DATA":
        log.warn("reconcile: no reconciler for this type yet", { tx_ref: tx.tx_ref, type: tx.type });
        return;
      default: {
        const unreachable: never = tx.type;
        throw new Error(`unknown type ${String(unreachable)}`);
      }
    }
  }

  /** Void a withdrawal whose transfer was provably never submitted. */
  private async abandonWithdrawal(tx_ref: string): Promise<void> {
    const now_ms = Date.now();
    const changed = this.ctx.storage.transactionSync(() => {
      const cursor = this.sql.exec(
        "UPDATE transactions SET stage = 'abandoned' WHERE tx_ref = ? AND status = 'PENDING' AND stage = 'hold_placed'",
        tx_ref,
      );
      if (cursor.rowsWritten === 0) return false;
      this.resolveHold(tx_ref, "voided", now_ms);
      this.finish(tx_ref, "FAILED", "The withdrawal request was interrupted before it reached the bank; nothing was sent.", null, now_ms, "abandoned");
      return true;
    });
    const tx = this.txRow(tx_ref);
    if (changed && tx) {
      log.warn("withdrawal abandoned before submission; hold voided", { tx_ref });
      await this.notify(tx);
    }
  }

  // ==== Realtime ===================================================================

  /** Tell the transaction's room (best effort; a room re-reads on join). */
  private async notify(tx: TransactionRecord): Promise<void> {
    const profile = this.profileRow();
    if (!profile) return;
    try {
      await this.env.ROOM.getByName(tx.tx_ref).publish(snapshotOf(profile.user_id, tx));
    } catch (error) {
      log.warn("room notify failed", { tx_ref: tx.tx_ref, error });
    }
  }

  async ping(): Promise<"pong"> {
    return "pong";
  }
}
