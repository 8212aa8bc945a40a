/**
 * The `books` reader of the Wallet's change feed: each transaction version
 * goes to the Books shard its tx_ref hashes to (src/durable/books/object.ts),
 * which derives the double-entry postings (src/domain/books.ts) and keeps the
 * day record. Only transaction versions: the postings follow the stages
 * whose effect moves the balance, so the wallet's own versions add nothing.
 *
 * Like the operations reader (./operator-reader.ts): a batch is split by
 * shard, one call per shard touched, concurrently; the reader acknowledges up
 * to the first change whose shard failed, and the shards' version guard and
 * posting keys (tx_ref, event) absorb what comes again. Never on the money
 * path: the Wallet drains it in the background after a change and from the
 * alarm, so a slow or unavailable shard delays the books, never money.
 *
 * A wallet that existed before this reader starts from the oldest change its
 * feed still keeps: money moved by changes already pruned is not in the books
 * (no backfill), and shows as a difference between its wallet account and
 * its balance.
 */
import { booksShardName, booksShardOf } from "../../domain/books";
import type { TransactionChange } from "../../domain/records";
import { BOOKS_SHARDS } from "../books/limits";
import type { Change, ChangeFeed, Delivery, FeedReader } from "./feed";
import { deliverByShard, drainInBackground } from "./shard-delivery";

export const BOOKS_READER = "books";

export function booksReader(env: Env): FeedReader {
  return async (changes: Change[]): Promise<Delivery> => {
    const groups = new Map<number, { seq: number; versions: TransactionChange[] }>();
    for (const change of changes) {
      if (change.entity !== "transaction") continue;
      const shard = booksShardOf(change.body.tx_ref, BOOKS_SHARDS);
      const group = groups.get(shard);
      if (group) group.versions.push(change.body);
      else groups.set(shard, { seq: change.seq, versions: [change.body] });
    }
    return deliverByShard(
      changes,
      groups,
      (group) => group.seq,
      (shard, group) => env.BOOKS.getByName(booksShardName(shard)).ingest(group.versions, shard),
    );
  };
}

/** The Wallet's delivery to the books after a change (./shard-delivery.ts). */
export function booksInBackground(
  feed: ChangeFeed,
  ctx: DurableObjectState,
  rearm: () => Promise<void>,
): void {
  drainInBackground(feed, ctx, BOOKS_READER, rearm);
}
