/**
 * What the operator index learns from each wallet's change feed: compact facts
 * about transactions and anomalies, and the settlement outcome a transaction's
 * status and stage amount to. Plain data, no Cloudflare imports, shared by the
 * wallet's feed reader and the Operations object.
 */
import type { Stage } from "./flows";
import type { TxStatus, TxType } from "./transactions";

/** One version of a transaction, as much as an operator needs (no bank details, no links). */
export type TransactionFact = {
  fact: "transaction";
  tx_ref: string;
  version: number;
  owner_user_id: string;
  type: TxType;
  status: TxStatus;
  stage: Stage;
  amount_minor: number;
  currency: string;
  created_at_ms: number;
  updated_at_ms: number;
  /** When the transaction is expected to be resolved; past it, a pending one is overdue. */
  deadline_at_ms: number;
  escalated_at_ms: number | null;
};

export type AnomalyFact = {
  fact: "anomaly";
  tx_ref: string;
  kind: string;
  /** The provider charge the anomaly is about ('' when it is about the transaction as a whole). */
  ref: string;
  detail: string;
  owner_user_id: string | null;
  created_at_ms: number;
};

export type OperatorFact = TransactionFact | AnomalyFact;

export const SETTLEMENT_OUTCOMES = ["succeeded", "failed", "reversed"] as const;
export type SettlementOutcome = (typeof SETTLEMENT_OUTCOMES)[number];

/**
 * The settlement a terminal version amounts to, or null while pending. A
 * reversal is its own outcome: it follows a success (the provider undid it),
 * so one transaction may count once as succeeded and once as reversed.
 */
export function settlementOutcome(status: TxStatus, stage: Stage): SettlementOutcome | null {
  switch (status) {
    case "PENDING":
      return null;
    case "SUCCESS":
      return "succeeded";
    case "FAILED":
      return stage === "reversed" ? "reversed" : "failed";
    default: {
      const unreachable: never = status;
      throw new Error(`unknown status ${String(unreachable)}`);
    }
  }
}
