/**
 * The Flutterwave look-alike's payouts (transfers). Plain methods over the
 * look-alike's SQLite storage; the Durable Object (object.ts) exposes them
 * over RPC, settles due transfers from its alarm and delivers their webhooks.
 *
 * Invariants
 * - A transfer reference is unique (a unique index).
 * - A transfer leaves NEW for SUCCESSFUL or FAILED exactly once (a
 *   conditional UPDATE).
 */
import { one } from "../../lib/sqlite";
import type { WebhookDispatch } from "../kit/deliver";
import { transferCompletedEvent } from "./json";
import { settlementFor, type TransferRow } from "./model";
import { WEBHOOK_PATH } from "./paths";
import { nextId } from "./schema";
import { TRANSFERS_PAGE_SIZE } from "./limits";

/** What a create request supplies; the object adds the id, status and times. */
export type TransferInput = Omit<
  TransferRow,
  "id" | "status" | "complete_message" | "created_at_ms" | "settle_at_ms" | "settled_at_ms"
>;

export type CreateTransferResult =
  | { outcome: "created"; transfer: TransferRow }
  | { outcome: "duplicate_reference" };

export type SettleResult =
  | { outcome: "not_found" }
  | { outcome: "already_settled"; transfer: TransferRow }
  | { outcome: "settled"; transfer: TransferRow; webhook: WebhookDispatch };

export type TransferWebhookResult =
  | { outcome: "not_found" }
  | { outcome: "not_final"; transfer: TransferRow }
  | { outcome: "ok"; webhook: WebhookDispatch };

export const UNSETTLED = "('NEW', 'PENDING')";

export class Transfers {
  constructor(private readonly storage: DurableObjectStorage) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** The earliest time an unsettled transfer is due, or null. */
  nextDueAt(): number | null {
    return (
      one(
        this.sql.exec<{ at_ms: number | null }>(
          `SELECT MIN(settle_at_ms) AS at_ms FROM transfers WHERE status IN ${UNSETTLED}`,
        ),
      )?.at_ms ?? null
    );
  }

  /** Unsettled transfers due by `cutoff_ms`, oldest first (at most `limit`). */
  due(cutoff_ms: number, limit: number): number[] {
    return this.sql
      .exec<{ id: number }>(
        `SELECT id FROM transfers WHERE status IN ${UNSETTLED} AND settle_at_ms <= ? ORDER BY settle_at_ms, id LIMIT ?`,
        cutoff_ms,
        limit,
      )
      .toArray()
      .map((r) => r.id);
  }

  private transferRow(id: number): TransferRow | null {
    return one(this.sql.exec<TransferRow>("SELECT * FROM transfers WHERE id = ?", id));
  }

  private transferDispatch(row: TransferRow): WebhookDispatch {
    return {
      event: "transfer.completed",
      ref: row.reference,
      url: `${row.origin}${WEBHOOK_PATH}`,
      body: JSON.stringify(transferCompletedEvent(row)),
    };
  }

  /** Queue a payout; it settles after `delay_s` (the object's alarm). A used reference is refused. */
  create(input: TransferInput, delay_s: number): CreateTransferResult {
    const now_ms = Date.now();
    return this.storage.transactionSync((): CreateTransferResult => {
      const id = nextId(this.sql, "transfer");
      const cursor = this.sql.exec(
        `INSERT INTO transfers (id, reference, account_number, bank_code, bank_name, full_name, currency, debit_currency,
           amount_minor, fee_minor, status, complete_message, narration, meta_json, callback_url, origin, created_at_ms,
           settle_at_ms, settled_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'NEW', '', ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (reference) DO NOTHING`,
        id,
        input.reference,
        input.account_number,
        input.bank_code,
        input.bank_name,
        input.full_name,
        input.currency,
        input.debit_currency,
        input.amount_minor,
        input.fee_minor,
        input.narration,
        input.meta_json,
        input.callback_url,
        input.origin,
        now_ms,
        now_ms + delay_s * 1000,
      );
      if (cursor.rowsWritten === 0) return { outcome: "duplicate_reference" };
      return { outcome: "created", transfer: this.transferRow(id)! };
    });
  }

  get(id: number): TransferRow | null {
    return this.transferRow(id);
  }

  /** Newest first, one page. `status` is compared case-insensitively (the SDK's sample sends "failed"). */
  list(query: {
    reference: string | null;
    status: string | null;
    page: number;
    from_ms?: number | null;
    to_ms?: number | null;
  }): {
    transfers: TransferRow[];
    total: number;
  } {
    const status = query.status?.toUpperCase() ?? null;
    const from_ms = query.from_ms ?? null;
    const to_ms = query.to_ms ?? null;
    const where =
      "WHERE (? IS NULL OR reference = ?) AND (? IS NULL OR status = ?) AND (? IS NULL OR created_at_ms >= ?) AND (? IS NULL OR created_at_ms < ?)";
    const params = [
      query.reference,
      query.reference,
      status,
      status,
      from_ms,
      from_ms,
      to_ms,
      to_ms,
    ];
    const total =
      one(this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM transfers ${where}`, ...params))
        ?.n ?? 0;
    const rows = this.sql
      .exec<TransferRow>(
        `SELECT * FROM transfers ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
        ...params,
        TRANSFERS_PAGE_SIZE,
        (query.page - 1) * TRANSFERS_PAGE_SIZE,
      )
      .toArray();
    return { transfers: rows, total };
  }

  /** Move a NEW transfer to its final status, once. */
  settle(id: number, forced?: "SUCCESSFUL" | "FAILED"): SettleResult {
    return this.storage.transactionSync((): SettleResult => {
      const row = this.transferRow(id);
      if (!row) return { outcome: "not_found" };
      if (row.status === "SUCCESSFUL" || row.status === "FAILED")
        return { outcome: "already_settled", transfer: row };
      const final = settlementFor(row.account_number, forced);
      this.sql.exec(
        `UPDATE transfers SET status = ?, complete_message = ?, settled_at_ms = ? WHERE id = ? AND status IN ${UNSETTLED}`,
        final.status,
        final.complete_message,
        Date.now(),
        id,
      );
      const settled = this.transferRow(id)!;
      return { outcome: "settled", transfer: settled, webhook: this.transferDispatch(settled) };
    });
  }

  /**
   * The bank's late word: a transfer Flutterwave had reported FAILED went
   * through after all (control API). Only FAILED -> SUCCESSFUL, once.
   */
  succeedLate(id: number): SettleResult {
    return this.storage.transactionSync((): SettleResult => {
      const row = this.transferRow(id);
      if (!row) return { outcome: "not_found" };
      if (row.status !== "FAILED") return { outcome: "already_settled", transfer: row };
      this.sql.exec(
        "UPDATE transfers SET status = 'SUCCESSFUL', complete_message = 'Transaction was successful', settled_at_ms = ? WHERE id = ? AND status = 'FAILED'",
        Date.now(),
        id,
      );
      const settled = this.transferRow(id)!;
      return { outcome: "settled", transfer: settled, webhook: this.transferDispatch(settled) };
    });
  }

  webhook(id: number): TransferWebhookResult {
    const row = this.transferRow(id);
    if (!row) return { outcome: "not_found" };
    if (row.status !== "SUCCESSFUL" && row.status !== "FAILED")
      return { outcome: "not_final", transfer: row };
    return { outcome: "ok", webhook: this.transferDispatch(row) };
  }

  /**
   * Point the alarm at the earliest unsettled transfer, remembering the time:
   * a test may run the alarm early (`runDurableObjectAlarm`), and the alarm
   * then settles what it was scheduled for rather than nothing.
   */
}
