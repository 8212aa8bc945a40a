/**
 * The `operations` reader of the Wallet's change feed: each transaction
 * version, each new anomaly, each audit entry and each proposal version,
 * reduced to what operators need
 * (src/domain/operator.ts), goes to the operator index, in the shard its
 * tx_ref hashes to (src/durable/operations/object.ts).
 *
 * Why a feed reader and not a separate outbox table: the feed already is the
 * outbox. Each change is appended in the same storage transaction as the
 * change itself, delivered after commit, retried with backoff from this
 * reader's own position, and pruned only once every reader has it. A second
 * table would duplicate all of that.
 *
 * A batch is split by shard, and each shard gets its part in one call (one
 * call per shard touched, however many changes), which it applies in one
 * storage transaction; the calls run concurrently. The reader acknowledges up
 * to the first change whose shard failed: every earlier change reached its
 * shard. The later ones, some of them already taken by other shards, come
 * again with the retry, and the index's version guard, settlement keys and
 * anomaly keys (tx_ref, kind, ref) absorb them, as they absorb any redelivery.
 * A transaction's versions all go to one shard, in feed order, so no shard
 * ever sees them out of order except by a redelivery.
 *
 * The Wallet does not wait for this reader: it drains in the background after
 * a change, and from the alarm (src/durable/wallet/object.ts
 * `drainOperations`), so a slow or unavailable shard delays operators' view,
 * never money.
 */
import {
  factsByShard,
  SCHEDULE_RUN_SKIPPED,
  shardKeyOf,
  shardName,
  type OperatorFact,
} from "../../domain/operator";
import { operatorIndexShards } from "../../lib/config";
import type { Change, ChangeFeed, Delivery, FeedReader } from "./feed";
import { deliverByShard, drainInBackground } from "./shard-delivery";

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
    case "audit":
      return { fact: "audit", entry: change.body };
    case "proposal":
      return { fact: "proposal", proposal: change.body };
    case "schedule":
      // A run that could not go is something operators should see (a user
      // whose top-ups keep failing for want of money or a limit): the
      // smallest honest fact is an anomaly named by the schedule and period.
      if (!change.body.skipped) return null;
      return {
        fact: "anomaly",
        tx_ref: change.entity_key,
        kind: SCHEDULE_RUN_SKIPPED,
        ref: change.body.skipped.period,
        detail: `${change.body.skipped.code}: ${change.body.skipped.reason}`,
        owner_user_id: change.body.owner_user_id,
        created_at_ms: change.created_at_ms,
      };
    case "wallet":
    case "profile":
    // A batch's lines are transactions of their own, indexed as such.
    case "batch":
    case "beneficiary":
      return null;
    default: {
      const unreachable: never = change;
      throw new Error(`unknown change entity ${JSON.stringify(unreachable)}`);
    }
  }
}

export const OPERATIONS_READER = "operations";

/** A fact, the key of its shard (`tx_ref` for factsByShard) and the feed position of the change it came from. */
type Sequenced = { tx_ref: string; seq: number; fact: OperatorFact };

export function operationsReader(env: Env): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    const shards = operatorIndexShards(env);
    if (shards === null)
      return {
        through_seq: 0,
        error: new Error(
          "OPERATOR_INDEX_SHARDS is invalid; the operator index waits until it is fixed",
        ),
      };
    const facts: Sequenced[] = [];
    for (const change of changes) {
      const fact = factOf(change);
      if (fact) facts.push({ tx_ref: shardKeyOf(fact), seq: change.seq, fact });
    }
    return deliverByShard(
      changes,
      factsByShard(facts, shards),
      (group) => group[0].seq,
      (shard, group) =>
        env.OPERATIONS.getByName(shardName(shard)).ingest(
          group.map((g) => g.fact),
          { shard, shards },
        ),
    );
  };
}

/** The Wallet's delivery to the operator index after a change (./shard-delivery.ts). */
export function operationsInBackground(
  feed: ChangeFeed,
  ctx: DurableObjectState,
  rearm: () => Promise<void>,
): void {
  drainInBackground(feed, ctx, OPERATIONS_READER, rearm);
}
