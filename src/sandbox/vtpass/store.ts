/**
 * The VTpass look-alike's SQLite: purchases (the model's PurchaseLedger), the
 * float and the callback schedule. Plain synchronous methods; the Durable
 * Object (object.ts) wraps each mutation in one storage transaction and owns
 * the alarm.
 *
 * Invariants
 * - A request_id is stored once (primary key).
 * - The float never goes below zero: a purchase is stored only after
 *   `checkFloat` passed, in the same transaction as its debit.
 * - A purchase leaves `pending` once (a conditional UPDATE), and a failed or
 *   reversed one gives its debit back to the float in the same write.
 */
import { one } from "../../lib/sqlite";
import { CALLBACK_LEASE_MS, FLOAT_DEFAULT_MINOR } from "./limits";
import {
  floatDebitMinor,
  type PurchaseLedger,
  type PurchaseRecord,
  type SandboxStatus,
} from "./model";
import type { CallbackState } from "./schema";

/** What the control API shows of a purchase: the model's record and the look-alike's bookkeeping. */
export type PurchaseRow = PurchaseRecord & {
  origin: string;
  debited_minor: number;
  settled_at_ms: number | null;
  callback_state: CallbackState;
  callback_attempts: number;
  callback_next_at_ms: number | null;
};

/** The model's part of a row. */
export function recordOf(row: PurchaseRow): PurchaseRecord {
  return {
    request_id: row.request_id,
    transaction_id: row.transaction_id,
    serviceID: row.serviceID,
    product_name: row.product_name,
    recipient: row.recipient,
    phone: row.phone,
    variation_code: row.variation_code,
    amount_minor: row.amount_minor,
    commission_minor: row.commission_minor,
    status: row.status,
    deliver_at_ms: row.deliver_at_ms,
    created_at_ms: row.created_at_ms,
  };
}

const ROW_COLUMNS = `request_id, transaction_id, service_id AS serviceID, product_name, recipient, phone, variation_code,
  amount_minor, commission_minor, status, deliver_at_ms, created_at_ms, origin, debited_minor, settled_at_ms,
  callback_state, callback_attempts, callback_next_at_ms`;

export class PurchaseStore implements PurchaseLedger {
  constructor(private readonly sql: SqlStorage) {}

  // ---- PurchaseLedger (read by the model) ----------------------------------------------------

  find(request_id: string): PurchaseRow | null {
    return one(
      this.sql.exec<PurchaseRow>(
        `SELECT ${ROW_COLUMNS} FROM purchases WHERE request_id = ?`,
        request_id,
      ),
    );
  }

  latestSimilar(serviceID: string, recipient: string, amount_minor: number): number | null {
    const row = one(
      this.sql.exec<{ at_ms: number | null }>(
        "SELECT MAX(created_at_ms) AS at_ms FROM purchases WHERE service_id = ? AND recipient = ? AND amount_minor = ?",
        serviceID,
        recipient,
        amount_minor,
      ),
    );
    return row?.at_ms ?? null;
  }

  // ---- Writes (call inside a transaction) ----------------------------------------------------

  /** Store a decided purchase and take its cost from the float. */
  insert(record: PurchaseRecord, origin: string): void {
    const debited_minor = floatDebitMinor(record);
    this.sql.exec(
      `INSERT INTO purchases (request_id, transaction_id, service_id, product_name, recipient, phone, variation_code,
         amount_minor, commission_minor, debited_minor, status, deliver_at_ms, origin, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      record.request_id,
      record.transaction_id,
      record.serviceID,
      record.product_name,
      record.recipient,
      record.phone,
      record.variation_code,
      record.amount_minor,
      record.commission_minor,
      debited_minor,
      record.status,
      record.deliver_at_ms,
      origin,
      record.created_at_ms,
    );
    this.addToFloat(-debited_minor);
  }

  /**
   * Move a pending purchase to its final status and start its callback
   * (`sending` when the caller delivers the first try itself, `scheduled`
   * when the alarm will). False when it was not pending any more.
   * `reported_minor` replaces the amount its answers report (the float keeps
   * what was debited at pay).
   */
  settle(
    request_id: string,
    to: Exclude<SandboxStatus, "pending">,
    now_ms: number,
    callback: "scheduled" | "sending",
    reported_minor?: number,
  ): boolean {
    const row = this.find(request_id);
    // A pending purchase settles once; a delivered one can still be reversed by VTpass's staff (once).
    if (!row || !(row.status === "pending" || (row.status === "delivered" && to === "reversed")))
      return false;
    const refund_minor = to === "delivered" ? 0 : row.debited_minor;
    const written = this.sql.exec(
      `UPDATE purchases SET status = ?, deliver_at_ms = NULL, settled_at_ms = ?, debited_minor = debited_minor - ?,
         amount_minor = COALESCE(?, amount_minor), callback_state = ?, callback_attempts = 0, callback_next_at_ms = ?
       WHERE request_id = ? AND status = ?`,
      to,
      now_ms,
      refund_minor,
      reported_minor ?? null,
      callback,
      callback === "sending" ? now_ms + CALLBACK_LEASE_MS : now_ms,
      request_id,
      row.status,
    ).rowsWritten;
    if (written === 0) return false;
    this.addToFloat(refund_minor);
    return true;
  }

  /**
   * VTpass's records corrected after the fact: a purchase it answered as
   * failed was delivered by the network after all. Its cost leaves the float
   * again and a fresh round of callbacks starts (`sending`: the caller sends
   * the first). False unless the purchase is failed.
   */
  correctToDelivered(request_id: string, now_ms: number): boolean {
    const row = this.find(request_id);
    if (!row || row.status !== "failed") return false;
    const cost_minor = row.amount_minor - row.commission_minor;
    const written = this.sql.exec(
      `UPDATE purchases SET status = 'delivered', settled_at_ms = ?, debited_minor = debited_minor + ?,
         callback_state = 'sending', callback_attempts = 0, callback_next_at_ms = ?
       WHERE request_id = ? AND status = 'failed'`,
      now_ms,
      cost_minor,
      now_ms + CALLBACK_LEASE_MS,
      request_id,
    ).rowsWritten;
    if (written === 0) return false;
    this.addToFloat(-cost_minor);
    return true;
  }

  /** A fresh round of callback tries, the first one sent by the caller now. */
  restartCallback(request_id: string, now_ms: number): void {
    this.sql.exec(
      "UPDATE purchases SET callback_state = 'sending', callback_attempts = 0, callback_next_at_ms = ? WHERE request_id = ?",
      now_ms + CALLBACK_LEASE_MS,
      request_id,
    );
  }

  /**
   * Claim the callbacks due by `cutoff_ms` (at most `limit`): each is leased
   * for CALLBACK_LEASE_MS so a concurrent alarm does not send it too. A lease
   * ends by the wall clock only, never by an alarm run early.
   */
  claimDueCallbacks(cutoff_ms: number, now_ms: number, limit: number): PurchaseRow[] {
    const ids = this.sql
      .exec<{ request_id: string }>(
        `SELECT request_id FROM purchases
         WHERE (callback_state = 'scheduled' AND callback_next_at_ms <= ?) OR (callback_state = 'sending' AND callback_next_at_ms <= ?)
         ORDER BY callback_next_at_ms LIMIT ?`,
        cutoff_ms,
        now_ms,
        limit,
      )
      .toArray()
      .map((r) => r.request_id);
    for (const id of ids) {
      this.sql.exec(
        "UPDATE purchases SET callback_state = 'sending', callback_next_at_ms = ? WHERE request_id = ?",
        now_ms + CALLBACK_LEASE_MS,
        id,
      );
    }
    return ids.map((id) => this.find(id)!);
  }

  /**
   * Count one callback try: done when accepted, given up after `attempts_max`,
   * else scheduled again after `retry_delay_ms`. Ignored when no round is
   * running (a try that finished after its round was restarted still counts
   * in the new one: the sandbox does not tell rounds apart).
   */
  countCallbackTry(
    request_id: string,
    accepted: boolean,
    now_ms: number,
    attempts_max: number,
    retry_delay_ms: number,
  ): void {
    const row = this.find(request_id);
    if (!row || (row.callback_state !== "scheduled" && row.callback_state !== "sending")) return;
    const attempts = row.callback_attempts + 1;
    const state: CallbackState = accepted
      ? "accepted"
      : attempts >= attempts_max
        ? "gave_up"
        : "scheduled";
    this.sql.exec(
      "UPDATE purchases SET callback_state = ?, callback_attempts = ?, callback_next_at_ms = ? WHERE request_id = ?",
      state,
      attempts,
      state === "scheduled" ? now_ms + retry_delay_ms : null,
      request_id,
    );
  }

  // ---- The alarm's work -------------------------------------------------------------------------

  /** Pending purchases due for delivery by `cutoff_ms`, oldest first (at most `limit`). */
  duePending(cutoff_ms: number, limit: number): string[] {
    return this.sql
      .exec<{ request_id: string }>(
        "SELECT request_id FROM purchases WHERE status = 'pending' AND deliver_at_ms <= ? ORDER BY deliver_at_ms LIMIT ?",
        cutoff_ms,
        limit,
      )
      .toArray()
      .map((r) => r.request_id);
  }

  /** The next time the alarm has work: a pending delivery or a callback try (or a lease running out). */
  nextWakeAt(): number | null {
    const row = one(
      this.sql.exec<{ at_ms: number | null }>(
        `SELECT MIN(at_ms) AS at_ms FROM (
           SELECT MIN(deliver_at_ms) AS at_ms FROM purchases WHERE status = 'pending'
           UNION ALL
           SELECT MIN(callback_next_at_ms) FROM purchases WHERE callback_state IN ('scheduled', 'sending')
         )`,
      ),
    );
    return row?.at_ms ?? null;
  }

  // ---- Settings ---------------------------------------------------------------------------------

  float(): number {
    return this.setting("float_minor") ?? FLOAT_DEFAULT_MINOR;
  }

  setFloat(minor: number): void {
    this.putSetting("float_minor", minor);
  }

  private addToFloat(delta_minor: number): void {
    if (delta_minor !== 0) this.putSetting("float_minor", this.float() + delta_minor);
  }

  /** The callback secret set in the "dashboard", or null for the configured one. */
  dashboardSecret(): string | null {
    return (
      one(
        this.sql.exec<{ callback_secret: string | null }>(
          "SELECT callback_secret FROM dashboard WHERE id = 1",
        ),
      )?.callback_secret ?? null
    );
  }

  setDashboardSecret(secret: string | null): void {
    this.sql.exec(
      "INSERT INTO dashboard (id, callback_secret) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET callback_secret = excluded.callback_secret",
      secret,
    );
  }

  setting(key: "float_minor" | "alarm_at_ms"): number | null {
    return (
      one(this.sql.exec<{ value: number }>("SELECT value FROM settings WHERE key = ?", key))
        ?.value ?? null
    );
  }

  putSetting(key: "float_minor" | "alarm_at_ms", value: number | null): void {
    if (value === null) this.sql.exec("DELETE FROM settings WHERE key = ?", key);
    else
      this.sql.exec(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        value,
      );
  }
}
