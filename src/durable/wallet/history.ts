/**
 * One transaction's history for operators (the console's transaction page):
 * every version the change feed still holds (FEED_RETAIN_MS after every
 * reader had it; older versions are gone, and the page says so), the provider
 * events this wallet processed for it, and its anomalies. Read-only; each
 * query is bounded.
 */
import type { TransactionChange } from "../../domain/records";
import { HISTORY_LIST_MAX } from "./limits";
import type { Anomaly } from "./trail";

export type ProviderEvent = { event_key: string; outcome: string; processed_at_ms: number };

export type TransactionHistory = {
  /** Oldest first; the first may be later than version 1 when the feed pruned the earlier ones. */
  versions: TransactionChange[];
  events: ProviderEvent[];
  anomalies: Anomaly[];
};

export function transactionHistory(sql: SqlStorage, tx_ref: string): TransactionHistory {
  const versions = sql
    .exec<{ body: string }>(
      // The feed's unique key (entity, entity_key, version) is the index this walks.
      "SELECT body FROM changes WHERE entity = 'transaction' AND entity_key = ? ORDER BY version LIMIT ?",
      tx_ref,
      HISTORY_LIST_MAX,
    )
    .toArray()
    .map((row) => JSON.parse(row.body) as TransactionChange);
  const events = sql
    .exec<ProviderEvent>(
      "SELECT event_key, outcome, processed_at_ms FROM provider_events WHERE tx_ref = ? ORDER BY processed_at_ms LIMIT ?",
      tx_ref,
      HISTORY_LIST_MAX,
    )
    .toArray();
  const anomalies = sql
    .exec<Anomaly>(
      "SELECT tx_ref, kind, ref, detail, created_at_ms FROM anomalies WHERE tx_ref = ? ORDER BY id LIMIT ?",
      tx_ref,
      HISTORY_LIST_MAX,
    )
    .toArray();
  return { versions, events, anomalies };
}
