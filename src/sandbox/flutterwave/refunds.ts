/**
 * The Flutterwave look-alike's refunds (v3): `POST /v3/transactions/{id}/refund`
 * and `GET /v3/refunds[/{id}]`. Plain methods over the look-alike's SQLite
 * storage; the Durable Object (object.ts) exposes them over RPC.
 *
 * Rules
 * - Only a successful charge can be refunded, in part or in full; the refunds
 *   of a charge that have not failed never add up to more than it took (its
 *   refundable remainder). A failed refund gives its amount back to the remainder.
 * - Each refund ends `completed` or `failed` once (a conditional UPDATE).
 * - How a new refund behaves is a control setting (`mode`), in the style of
 *   the fault controls: `complete` (the default: completed at once, the
 *   create answering `completed` as Flutterwave's sample does), `pending`
 *   (stays pending until settled through the control API), `fail` (accepted
 *   as pending, then failed).
 * UNCONFIRMED: the exact refusal messages; Flutterwave's list filters (the
 * list here filters by nothing but pages, newest first, like its transfers).
 */
import { one } from "../../lib/sqlite";
import { TRANSFERS_PAGE_SIZE } from "./limits";
import { amountNumber } from "./model";
import { nextId, randomHex } from "./schema";

export type RefundRow = {
  id: number;
  transaction_id: number;
  flw_ref: string;
  amount_minor: number;
  currency: string;
  status: "pending" | "completed" | "failed";
  comments: string;
  created_at_ms: number;
};

export const REFUND_MODES = ["complete", "pending", "fail"] as const;
export type RefundMode = (typeof REFUND_MODES)[number];

export type CreateRefundResult =
  | { outcome: "created"; refund: RefundRow }
  | { outcome: "no_transaction" }
  | { outcome: "not_successful" }
  | { outcome: "exceeds_remainder"; remainder_minor: number };

export type SettleRefundResult =
  | { outcome: "not_found" }
  | { outcome: "already_settled"; refund: RefundRow }
  | { outcome: "settled"; refund: RefundRow };

export class Refunds {
  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
  }

  /** How a new refund of this charge behaves: its own setting, else the look-alike's. */
  mode(transaction_id: number | null = null): RefundMode {
    const keys =
      transaction_id === null ? ["refund_mode"] : [`refund_mode:${transaction_id}`, "refund_mode"];
    for (const key of keys) {
      const value = one(
        this.sql.exec<{ value: number }>("SELECT value FROM settings WHERE key = ?", key),
      )?.value;
      if (value !== undefined) return REFUND_MODES[value] ?? "complete";
    }
    return "complete";
  }

  /** For one charge (tests share the look-alike, so each scopes its setting to its own charge), or for all. */
  setMode(mode: RefundMode, transaction_id: number | null = null): void {
    this.sql.exec(
      "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      transaction_id === null ? "refund_mode" : `refund_mode:${transaction_id}`,
      REFUND_MODES.indexOf(mode),
    );
  }

  create(
    transaction_id: number,
    amount_minor: number,
    comments: string,
    now_ms: number,
  ): { result: CreateRefundResult; answered_status: RefundRow["status"] } {
    return this.storage.transactionSync(() => {
      const charge = one(
        this.sql.exec<{ amount_minor: number; currency: string; status: string }>(
          "SELECT amount_minor, currency, status FROM transactions WHERE id = ?",
          transaction_id,
        ),
      );
      if (!charge)
        return {
          result: { outcome: "no_transaction" as const },
          answered_status: "failed" as const,
        };
      if (charge.status !== "successful")
        return {
          result: { outcome: "not_successful" as const },
          answered_status: "failed" as const,
        };
      const refunded =
        one(
          this.sql.exec<{ total: number }>(
            "SELECT COALESCE(SUM(amount_minor), 0) AS total FROM refunds WHERE transaction_id = ? AND status <> 'failed'",
            transaction_id,
          ),
        )?.total ?? 0;
      const remainder_minor = charge.amount_minor - refunded;
      if (amount_minor > remainder_minor)
        return {
          result: { outcome: "exceeds_remainder" as const, remainder_minor },
          answered_status: "failed" as const,
        };
      const mode = this.mode(transaction_id);
      const refund: RefundRow = {
        id: nextId(this.sql, "refund"),
        transaction_id,
        flw_ref: `URF_${now_ms}_${randomHex(4)}`,
        amount_minor,
        currency: charge.currency,
        status: mode === "complete" ? "completed" : mode === "fail" ? "failed" : "pending",
        comments,
        created_at_ms: now_ms,
      };
      this.sql.exec(
        "INSERT INTO refunds (id, transaction_id, flw_ref, amount_minor, currency, status, comments, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        refund.id,
        refund.transaction_id,
        refund.flw_ref,
        refund.amount_minor,
        refund.currency,
        refund.status,
        refund.comments,
        refund.created_at_ms,
      );
      // A refund that will fail is first accepted, as a real one would be.
      return {
        result: { outcome: "created" as const, refund },
        answered_status: refund.status === "failed" ? ("pending" as const) : refund.status,
      };
    });
  }

  get(id: number): RefundRow | null {
    return one(this.sql.exec<RefundRow>("SELECT * FROM refunds WHERE id = ?", id));
  }

  /** Newest first, a page at a time; with `transaction_id`, only that charge's (the control API's view). */
  list(page: number, transaction_id: number | null): { refunds: RefundRow[]; total: number } {
    const where = transaction_id === null ? "" : "WHERE transaction_id = ?";
    const params = transaction_id === null ? [] : [transaction_id];
    const total =
      one(this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM refunds ${where}`, ...params))
        ?.n ?? 0;
    const refunds = this.sql
      .exec<RefundRow>(
        `SELECT * FROM refunds ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
        ...params,
        TRANSFERS_PAGE_SIZE,
        (page - 1) * TRANSFERS_PAGE_SIZE,
      )
      .toArray();
    return { refunds, total };
  }

  /** Control API: end a pending refund now. */
  settle(id: number, status: "completed" | "failed"): SettleRefundResult {
    return this.storage.transactionSync(() => {
      const updated = one(
        this.sql.exec<RefundRow>(
          "UPDATE refunds SET status = ? WHERE id = ? AND status = 'pending' RETURNING *",
          status,
          id,
        ),
      );
      if (updated) return { outcome: "settled" as const, refund: updated };
      const row = this.get(id);
      return row
        ? { outcome: "already_settled" as const, refund: row }
        : { outcome: "not_found" as const };
    });
  }
}

/** A refund in Flutterwave's shape (the docs' sample; `transaction_id` too, as the Node SDK types it). */
export function refundJson(row: RefundRow, status: RefundRow["status"] = row.status) {
  return {
    id: row.id,
    account_id: 73362,
    tx_id: row.transaction_id,
    transaction_id: row.transaction_id,
    flw_ref: row.flw_ref,
    wallet_id: 74639,
    amount_refunded: amountNumber(row.amount_minor),
    status,
    destination: "payment_source",
    comments: row.comments,
    meta: { source: "availablebalance" },
    created_at: new Date(row.created_at_ms).toISOString(),
  };
}
