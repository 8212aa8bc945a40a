/**
 * The `operations` reader of the Wallet's change feed: each transaction
 * version and each new anomaly, reduced to what operators need
 * (src/domain/operator.ts), goes to the operator index in the Operations
 * object.
 *
 * Why a feed reader and not a separate outbox table: the feed already is the
 * outbox. Each change is appended in the same storage transaction as the
 * change itself, delivered after commit, retried with backoff from this
 * reader's own position, and pruned only once every reader has it. A second
 * table would duplicate all of that.
 *
 * The whole batch goes in one call, which the index applies in one storage
 * transaction: it is acknowledged entirely or not at all, and a redelivery is
 * absorbed by the index's version and settlement keys.
 */
import type { OperatorFact } from "../../domain/operator";
import { OPERATIONS_OBJECT } from "../operations/object";
import type { Change, Delivery, FeedReader } from "./feed";

function factOf(change: Change): OperatorFact | null {
  switch (change.entity) {
    case "transaction": {
      const tx = change.body;
      return {
        fact: "transaction",
        tx_ref: tx.tx_ref,
        version: tx.version,
        owner_user_id: tx.owner_user_id,
        type: tx.type,
        status: tx.status,
        stage: tx.stage,
        amount_minor: tx.amount_minor,
        currency: tx.currency,
        created_at_ms: tx.created_at_ms,
        updated_at_ms: tx.updated_at_ms,
        deadline_at_ms: tx.deadline_at_ms,
        escalated_at_ms: tx.escalated_at_ms,
      };
    }
    case "anomaly":
      // Anomalies written before they named a charge carry no `ref`.
      return { fact: "anomaly", ...change.body, ref: change.body.ref ?? "" };
    case "wallet":
    case "profile":
      return null;
    default: {
      const unreachable: never = change;
      throw new Error(`unknown change entity ${JSON.stringify(unreachable)}`);
    }
  }
}

export const OPERATIONS_READER = "operations";

export function operationsReader(env: Env): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    const facts = changes.map(factOf).filter((f): f is OperatorFact => f !== null);
    if (facts.length > 0) await env.OPERATIONS.getByName(OPERATIONS_OBJECT).ingest(facts);
    return { through_seq: changes[changes.length - 1].seq };
  };
}
