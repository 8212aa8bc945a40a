/**
 * List faults: how the transactions and transfers lists (`GET /v3/transactions`,
 * `GET /v3/transfers`) misreport one reference, while verify and the webhooks
 * still tell the truth. They make each kind of difference the daily
 * reconciliation must find, the way a provider's report can drift from what
 * it answered at the time:
 * - amount:    the row carries another amount (`value`, naira).
 * - currency:  another currency (`value`).
 * - status:    another status word (`value`, e.g. `failed`, `FAILED`).
 * - omit:      the row is left out of the list (ours only).
 * - duplicate: the row is listed twice (one is theirs only).
 * - shift:     `created_at` moved by `value` minutes (time drift).
 * A charge we never saw (theirs only) needs no fault: the control API's
 * `POST transactions` creates one without a webhook.
 * A fault is keyed by the reference (tx_ref or transfer reference), so
 * parallel tests only touch their own rows; it lasts until cleared.
 */
import type { Json } from "./responses";
import { amountNumber, parseAmountMinor } from "./model";

export const LIST_FAULT_KINDS = [
  "amount",
  "currency",
  "status",
  "omit",
  "duplicate",
  "shift",
] as const;
export type ListFaultKind = (typeof LIST_FAULT_KINDS)[number];
export type ListFault = { reference: string; kind: ListFaultKind; value: string | null };

export class ListFaults {
  private readonly sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.sql = storage.sql;
  }

  set(fault: ListFault): void {
    this.sql.exec(
      "INSERT INTO list_faults (reference, kind, value) VALUES (?, ?, ?) ON CONFLICT (reference) DO UPDATE SET kind = excluded.kind, value = excluded.value",
      fault.reference,
      fault.kind,
      fault.value,
    );
  }

  clear(): void {
    this.sql.exec("DELETE FROM list_faults");
  }

  /** The faults armed for these references. */
  of(references: readonly string[]): ListFault[] {
    if (references.length === 0) return [];
    const unique = [...new Set(references)];
    return this.sql
      .exec<ListFault>(
        `SELECT reference, kind, value FROM list_faults WHERE reference IN (${unique.map(() => "?").join(",")})`,
        ...unique,
      )
      .toArray();
  }
}

/** A list page's rows (rendered JSON) as the faults misreport them. */
export function misreport(
  rows: Record<string, Json>[],
  reference_field: "tx_ref" | "reference",
  faults: readonly ListFault[],
): Record<string, Json>[] {
  const by_reference = new Map(faults.map((f) => [f.reference, f]));
  const out: Record<string, Json>[] = [];
  for (const row of rows) {
    const reference = row[reference_field];
    const fault = typeof reference === "string" ? by_reference.get(reference) : undefined;
    if (!fault) {
      out.push(row);
      continue;
    }
    switch (fault.kind) {
      case "omit":
        break;
      case "duplicate":
        out.push(row, row);
        break;
      case "amount": {
        const minor = parseAmountMinor(fault.value ?? "");
        const amount = minor === null ? row.amount : amountNumber(minor);
        out.push({
          ...row,
          amount,
          ...("charged_amount" in row ? { charged_amount: amount } : {}),
        });
        break;
      }
      case "currency":
        out.push({ ...row, currency: fault.value ?? row.currency });
        break;
      case "status":
        out.push({ ...row, status: fault.value ?? row.status });
        break;
      case "shift": {
        const at = typeof row.created_at === "string" ? Date.parse(row.created_at) : Number.NaN;
        const minutes = Number(fault.value ?? "0");
        out.push(
          Number.isFinite(at) && Number.isFinite(minutes)
            ? { ...row, created_at: new Date(at + minutes * 60_000).toISOString() }
            : row,
        );
        break;
      }
      default: {
        const unreachable: never = fault.kind;
        throw new Error(`unhandled list fault ${String(unreachable)}`);
      }
    }
  }
  return out;
}
