/**
 * The wallet's audit trail beside the ledger: provider events it processed
 * (and what each did) and anomalies for operators (refunds due,
 * overpayments, escalations, late successes). Both are written inside the
 * storage transaction of the change they explain; neither guards money (the
 * flow tables and the journal do), so a repeat is absorbed by a unique key.
 * A new anomaly is also appended to the change feed in that same transaction,
 * so the operator index hears of it without anyone scanning wallets (a late
 * success changes no transaction, so no transaction change would carry it).
 */
import { ANOMALIES_LIST_MAX } from "./limits";
import { log } from "../../lib/log";
import { one } from "../../lib/sqlite";
import { appendChange } from "./feed";

export type Anomaly = {
  tx_ref: string;
  kind: string;
  ref: string;
  detail: string;
  created_at_ms: number;
};

/** The change feed's key of an anomaly: `tx_ref/kind`, and `/ref` when it names a provider charge. */
export function anomalyKey(tx_ref: string, kind: string, ref: string): string {
  return ref === "" ? `${tx_ref}/${kind}` : `${tx_ref}/${kind}/${ref}`;
}

export type SettleSource = {
  via: "webhook" | "reconciler" | "callback" | "create" | "requery";
  event_key?: string;
};

export class Trail {
  constructor(private readonly sql: SqlStorage) {}

  /** Remember a provider event and what it did. */
  event(source: SettleSource, tx_ref: string, outcome: string, now_ms: number): void {
    if (!source.event_key) return;
    this.sql.exec(
      "INSERT INTO provider_events (event_key, tx_ref, outcome, processed_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING",
      source.event_key,
      tx_ref,
      outcome,
      now_ms,
    );
  }

  /**
   * One anomaly per (tx_ref, kind, ref); logged at error level and appended to
   * the feed the first time. `ref` names the provider's charge when the
   * anomaly is about money that charge moved ('' when it is about the
   * transaction as a whole).
   */
  anomaly(tx_ref: string, kind: string, detail: string, now_ms: number, ref = ""): void {
    // RETURNING says whether a row was inserted; `rowsWritten` does not: on a
    // conflict with this table's unique key it is 1, not 0 (measured in workerd).
    const inserted = this.sql
      .exec(
        "INSERT INTO anomalies (tx_ref, kind, ref, detail, created_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tx_ref, kind, ref) DO NOTHING RETURNING id",
        tx_ref,
        kind,
        ref,
        detail,
        now_ms,
      )
      .toArray();
    if (inserted.length === 0) return;
    const owner_user_id =
      one(this.sql.exec<{ user_id: string }>("SELECT user_id FROM profile WHERE id = 1"))
        ?.user_id ?? null;
    appendChange(
      this.sql,
      "anomaly",
      anomalyKey(tx_ref, kind, ref),
      1,
      { tx_ref, kind, ref, detail, owner_user_id, created_at_ms: now_ms },
      now_ms,
    );
    log.error("ledger anomaly recorded", { tx_ref, kind, ref, detail });
  }

  /** Has this transaction already recorded an anomaly for this provider charge (money owed back, a late payment)? */
  accountedCharge(tx_ref: string, ref: string): boolean {
    return (
      one(
        this.sql.exec(
          "SELECT 1 AS found FROM anomalies WHERE tx_ref = ? AND ref = ? LIMIT 1",
          tx_ref,
          ref,
        ),
      ) !== null
    );
  }

  list(): Anomaly[] {
    return this.sql
      .exec<Anomaly>(
        "SELECT tx_ref, kind, ref, detail, created_at_ms FROM anomalies ORDER BY id LIMIT ?",
        ANOMALIES_LIST_MAX,
      )
      .toArray();
  }
}
