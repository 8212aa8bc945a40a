/**
 * The Books objects' bounds (src/durable/books/object.ts).
 */
import { FEED_BATCH_MAX } from "../wallet/limits";

/**
 * How many Books shards there are: fixed, never configuration, because a
 * transaction's posting keys live in the shard its tx_ref hashes to; with
 * another count a redelivered version would meet no key and post twice.
 * Changing it needs a move of every shard's rows first.
 */
export const BOOKS_SHARDS = 16;
/** Versions in one delivery to a shard: at most one feed batch (the reader splits a batch by shard). */
export const BOOKS_INGEST_MAX = FEED_BATCH_MAX;
/** Day records per page of `dayTransactions`. */
export const BOOKS_DAY_PAGE_MAX = 500;
/** Posting sets a shard names as the explanation of a broken identity (GET /admin/accounts). */
export const BOOKS_ANOMALY_ENTRIES_MAX = 50;
/** Transactions per `entriesOf` call (the property test's and an operator's look at some postings). */
export const BOOKS_ENTRIES_QUERY_MAX = 200;
