/**
 * Requery faults: how `POST /api/requery` misreports one purchase, while
 * `pay`, the callbacks and the control API still tell the truth. VTpass has
 * no list: the daily reconciliation requeries each purchase of the day, so
 * this is where VTpass's side of each kind of difference is made, the way a
 * provider's records can drift from what it answered at the time:
 * - amount:    another face value (`amount_minor`, kobo); the commission keeps
 *              the purchase's rate, so `total_amount` stays what it would be.
 * - status:    another final status (`delivered` for a failed purchase,
 *              `failed` or `reversed` for a delivered one).
 * - not_found: `015`, as for a request_id VTpass never saw (ours only).
 * A fault is keyed by the request_id, so parallel tests only touch their own
 * purchases; it lasts until cleared.
 *
 * A reconciliation fault, not a settlement one: the same requery is how our
 * side settles a purchase still pending (the wallet's reconciler, the
 * callback consumer), where a misreport would move money. So a fault is set
 * only on a purchase that is final here with no callback still being sent
 * (control.ts answers 409 otherwise), and a test sets it once our transaction
 * is final too: the wallet never requeries a final transaction, and facts
 * about one change no money (a late success for a failed one is only an
 * anomaly for operators).
 */
import type { PurchaseRecord } from "./model";

export const REQUERY_FAULT_KINDS = ["amount", "status", "not_found"] as const;
export type RequeryFaultKind = (typeof REQUERY_FAULT_KINDS)[number];

/** What a requery reports instead of the truth. */
export type RequeryFault =
  | { kind: "amount"; amount_minor: number }
  | { kind: "status"; status: "delivered" | "failed" | "reversed" }
  | { kind: "not_found" };

type FaultRow = { kind: string; amount_minor: number | null; status: string | null };

export class RequeryFaults {
  constructor(private readonly sql: SqlStorage) {}

  set(request_id: string, fault: RequeryFault): void {
    this.sql.exec(
      `INSERT INTO requery_faults (request_id, kind, amount_minor, status) VALUES (?, ?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE SET kind = excluded.kind, amount_minor = excluded.amount_minor, status = excluded.status`,
      request_id,
      fault.kind,
      fault.kind === "amount" ? fault.amount_minor : null,
      fault.kind === "status" ? fault.status : null,
    );
  }

  /** Clear one purchase's fault (one at a time: parallel tests share the look-alike). */
  clear(request_id: string): void {
    this.sql.exec("DELETE FROM requery_faults WHERE request_id = ?", request_id);
  }

  of(request_id: string): RequeryFault | null {
    const [row] = this.sql
      .exec<FaultRow>(
        "SELECT kind, amount_minor, status FROM requery_faults WHERE request_id = ?",
        request_id,
      )
      .toArray();
    if (!row) return null;
    switch (row.kind) {
      case "amount":
        return { kind: "amount", amount_minor: row.amount_minor ?? 0 };
      case "status":
        return { kind: "status", status: row.status as "delivered" | "failed" | "reversed" };
      case "not_found":
        return { kind: "not_found" };
      default:
        // The table's CHECK admits no other kind.
        throw new Error(`unknown requery fault ${row.kind}`);
    }
  }
}

/** The record a requery reports under `fault`: null for `not_found` (VTpass's 015). */
export function misreport(record: PurchaseRecord, fault: RequeryFault): PurchaseRecord | null {
  switch (fault.kind) {
    case "not_found":
      return null;
    case "amount":
      return {
        ...record,
        amount_minor: fault.amount_minor,
        // The rate as a ratio first: the product of two amounts could pass the safe integers.
        commission_minor: Math.min(
          fault.amount_minor,
          Math.floor(record.commission_minor * (fault.amount_minor / record.amount_minor)),
        ),
      };
    case "status":
      return { ...record, status: fault.status, deliver_at_ms: null };
    default: {
      const unreachable: never = fault;
      throw new Error(`unhandled requery fault ${JSON.stringify(unreachable)}`);
    }
  }
}
