/**
 * Books: the Durable Object class that keeps the double-entry books, in
 * BOOKS_SHARDS objects of it (named by src/domain/books.ts `booksShardName`).
 * Every wallet's change feed delivers each transaction version to the shard
 * its tx_ref hashes to (the `books` reader, src/durable/wallet/books-reader.ts),
 * off the money path; the shard derives the posting sets
 * (src/domain/books.ts) and keeps the day records (./journal.ts).
 *
 * Why shards: system accounts are hot (every funding touches collections);
 * one object would see every change of every wallet. Each shard keeps its
 * part of every account, and the readers sum the shards
 * (src/services/books.ts), so no single object sees every change.
 *
 * Invariants: those of ./journal.ts; a shard refuses a version whose tx_ref
 * hashes elsewhere (a programmer error: the reader splits by the same hash);
 * every delivery is one storage transaction.
 */
import { DurableObject } from "cloudflare:workers";
import { booksShardOf, type BookTransaction } from "../../domain/books";
import type { TransactionChange } from "../../domain/records";
import { migrate } from "../../lib/sqlite";
import { BOOKS_MIGRATIONS, BooksJournal, type ShardTotals, type StoredSet } from "./journal";
import {
  BOOKS_ANOMALY_ENTRIES_MAX,
  BOOKS_DAY_PAGE_MAX,
  BOOKS_ENTRIES_QUERY_MAX,
  BOOKS_INGEST_MAX,
  BOOKS_SHARDS,
} from "./limits";

export type { ShardTotals, StoredSet } from "./journal";

export class Books extends DurableObject<Env> {
  private readonly journal: BooksJournal;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.journal = new BooksJournal(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, BOOKS_MIGRATIONS);
    });
  }

  /**
   * One wallet's feed batch, the transaction versions of it that hash to
   * `shard`, in feed order, in one storage transaction. Safe to deliver
   * again. Returns how many posting sets were newly written.
   */
  async ingest(versions: TransactionChange[], shard: number): Promise<number> {
    if (versions.length > BOOKS_INGEST_MAX)
      throw new Error(`books ingest: ${versions.length} versions, at most ${BOOKS_INGEST_MAX}`);
    const stray = versions.find((v) => booksShardOf(v.tx_ref, BOOKS_SHARDS) !== shard);
    if (stray)
      throw new Error(
        `books shard ${shard}: ${stray.tx_ref} belongs to shard ${booksShardOf(stray.tx_ref, BOOKS_SHARDS)}`,
      );
    const now_ms = Date.now();
    return this.ctx.storage.transactionSync(() => this.journal.ingest(versions, now_ms));
  }

  /** This shard's part of every system account and of what we owe users. */
  async totals(): Promise<ShardTotals> {
    return this.journal.totals();
  }

  /** Posting sets that do not sum to zero, at most BOOKS_ANOMALY_ENTRIES_MAX. */
  async unbalanced(limit: number = BOOKS_ANOMALY_ENTRIES_MAX): Promise<StoredSet[]> {
    return this.journal.unbalanced(Math.max(0, Math.min(limit, BOOKS_ANOMALY_ENTRIES_MAX)));
  }

  /** The posting sets of these transactions (those that hash here), at most BOOKS_ENTRIES_QUERY_MAX. */
  async entriesOf(tx_refs: string[]): Promise<StoredSet[]> {
    if (tx_refs.length > BOOKS_ENTRIES_QUERY_MAX)
      throw new Error(
        `entriesOf: ${tx_refs.length} transactions, at most ${BOOKS_ENTRIES_QUERY_MAX}`,
      );
    return this.journal.setsOf(tx_refs);
  }

  /** These users' wallet accounts from this shard's postings, at most BOOKS_ENTRIES_QUERY_MAX users. */
  async walletsOf(user_ids: string[]): Promise<Record<string, number>> {
    if (user_ids.length > BOOKS_ENTRIES_QUERY_MAX)
      throw new Error(`walletsOf: ${user_ids.length} users, at most ${BOOKS_ENTRIES_QUERY_MAX}`);
    return this.journal.walletsOf(user_ids);
  }

  /** One page of this shard's transactions created on a Lagos day (YYYY-MM-DD), by tx_ref. */
  async dayTransactions(
    day: string,
    after_tx_ref: string | null,
    limit: number = BOOKS_DAY_PAGE_MAX,
  ): Promise<{ items: BookTransaction[]; next: string | null }> {
    return this.journal.dayTransactions(
      day,
      after_tx_ref,
      Math.max(1, Math.min(limit, BOOKS_DAY_PAGE_MAX)),
    );
  }
}
