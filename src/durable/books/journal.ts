/**
 * The books inside one shard (a Books object, ./object.ts): the posting sets
 * of the transactions whose tx_ref hashes to it, the running balances they
 * make, and each transaction's day record at its highest version.
 *
 * Invariants
 * - Idempotent under redelivery and reordering: a version older than, or
 *   equal to, the one the shard has of its transaction is ignored; a posting
 *   set is written when its key (tx_ref, event) is first inserted, and the
 *   key is kept even when the set is empty (a reversal of a hold that was
 *   still open), so no event ever posts twice. A transaction's versions all
 *   come to this shard, in feed order.
 * - Balances move only with a set's insert, in the same storage transaction
 *   (the caller's), so Σ balances = Σ postings; every set's sum is stored
 *   with its key, so an unbalanced one (a bug) is found by index, not by scan.
 * - Nothing is pruned: the books are the record of money.
 */
import {
  bookTransactionOf,
  earlierEventOf,
  isWalletAccount,
  moneyEventOf,
  postingsOf,
  SYSTEM_ACCOUNTS,
  sumOf,
  zeroBalances,
  type AccountBalances,
  type BookTransaction,
  type MoneyEvent,
  type Posting,
  type PostingSet,
} from "../../domain/books";
import type { TransactionChange } from "../../domain/records";
import { one, type Migration } from "../../lib/sqlite";

export const BOOKS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE book_transactions (
         tx_ref TEXT PRIMARY KEY,
         owner_user_id TEXT NOT NULL,
         type TEXT NOT NULL,
         status TEXT NOT NULL,
         stage TEXT NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0),
         amount_minor INTEGER NOT NULL,
         fee_minor INTEGER NOT NULL,
         currency TEXT NOT NULL,
         provider_ref TEXT,
         provider_id TEXT,
         created_at_ms INTEGER NOT NULL,
         updated_at_ms INTEGER NOT NULL,
         settled_at_ms INTEGER,
         day TEXT NOT NULL
       )`,
      "CREATE INDEX book_transactions_by_day ON book_transactions (day, tx_ref)",
      // One key per money event a transaction reached; its insert is what posts it.
      `CREATE TABLE book_sets (
         tx_ref TEXT NOT NULL,
         event TEXT NOT NULL,
         version INTEGER NOT NULL,
         sum_minor INTEGER NOT NULL,
         at_ms INTEGER NOT NULL,
         PRIMARY KEY (tx_ref, event)
       ) WITHOUT ROWID`,
      "CREATE INDEX book_sets_unbalanced ON book_sets (at_ms) WHERE sum_minor <> 0",
      `CREATE TABLE book_postings (
         tx_ref TEXT NOT NULL,
         event TEXT NOT NULL,
         account TEXT NOT NULL,
         amount_minor INTEGER NOT NULL,
         PRIMARY KEY (tx_ref, event, account)
       ) WITHOUT ROWID`,
      // System accounts' balances in this shard.
      `CREATE TABLE book_accounts (
         account TEXT PRIMARY KEY,
         balance_minor INTEGER NOT NULL
       ) WITHOUT ROWID`,
      // Each wallet account's balance from the postings in this shard (its other transactions are in other shards).
      `CREATE TABLE book_wallets (
         user_id TEXT PRIMARY KEY,
         balance_minor INTEGER NOT NULL
       ) WITHOUT ROWID`,
    ],
  },
];

/** A shard's sums: its part of every system account and of what we owe users. */
export type ShardTotals = { balances: AccountBalances; wallets_total_minor: number; sets: number };

/** A posting set as stored, with the version that posted it. */
export type StoredSet = PostingSet & { version: number; sum_minor: number; at_ms: number };

const TX_COLUMNS =
  "tx_ref, owner_user_id, type, status, stage, version, amount_minor, fee_minor, currency, provider_ref, provider_id, created_at_ms, updated_at_ms, settled_at_ms, day";

export class BooksJournal {
  constructor(private readonly sql: SqlStorage) {}

  /** Apply versions in feed order (inside the caller's storage transaction); returns the sets posted. */
  ingest(versions: readonly TransactionChange[], now_ms: number): number {
    let posted = 0;
    for (const version of versions) if (this.ingestOne(version, now_ms)) posted += 1;
    return posted;
  }

  private ingestOne(tx: TransactionChange, now_ms: number): boolean {
    const known = one(
      this.sql.exec<{ version: number }>(
        "SELECT version FROM book_transactions WHERE tx_ref = ?",
        tx.tx_ref,
      ),
    );
    if (known && known.version >= tx.version) return false;
    this.upsertDay(bookTransactionOf(tx));
    const event = moneyEventOf(tx);
    if (!event || this.set(tx.tx_ref, event)) return false;
    const earlier_event = earlierEventOf(event);
    const earlier = earlier_event ? this.set(tx.tx_ref, earlier_event) : null;
    const set = postingsOf(tx, event, earlier && earlier.postings.length > 0 ? earlier : null);
    const postings = set?.postings ?? [];
    this.sql.exec(
      "INSERT INTO book_sets (tx_ref, event, version, sum_minor, at_ms) VALUES (?, ?, ?, ?, ?)",
      tx.tx_ref,
      event,
      tx.version,
      sumOf({ postings }),
      now_ms,
    );
    for (const p of postings) this.post(tx.tx_ref, event, p);
    return postings.length > 0;
  }

  private post(tx_ref: string, event: MoneyEvent, p: Posting): void {
    this.sql.exec(
      "INSERT INTO book_postings (tx_ref, event, account, amount_minor) VALUES (?, ?, ?, ?)",
      tx_ref,
      event,
      p.account,
      p.amount_minor,
    );
    if (isWalletAccount(p.account))
      this.sql.exec(
        `INSERT INTO book_wallets (user_id, balance_minor) VALUES (?, ?)
         ON CONFLICT (user_id) DO UPDATE SET balance_minor = balance_minor + excluded.balance_minor`,
        p.account.slice("wallet:".length),
        p.amount_minor,
      );
    else
      this.sql.exec(
        `INSERT INTO book_accounts (account, balance_minor) VALUES (?, ?)
         ON CONFLICT (account) DO UPDATE SET balance_minor = balance_minor + excluded.balance_minor`,
        p.account,
        p.amount_minor,
      );
  }

  private upsertDay(row: BookTransaction): void {
    this.sql.exec(
      `INSERT INTO book_transactions (${TX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tx_ref) DO UPDATE SET status = excluded.status, stage = excluded.stage,
         version = excluded.version, amount_minor = excluded.amount_minor, fee_minor = excluded.fee_minor,
         provider_ref = excluded.provider_ref, provider_id = excluded.provider_id,
         updated_at_ms = excluded.updated_at_ms, settled_at_ms = excluded.settled_at_ms
       WHERE excluded.version > book_transactions.version`,
      row.tx_ref,
      row.owner_user_id,
      row.type,
      row.status,
      row.stage,
      row.version,
      row.amount_minor,
      row.fee_minor,
      row.currency,
      row.provider_ref,
      row.provider_id,
      row.created_at_ms,
      row.updated_at_ms,
      row.settled_at_ms,
      row.day,
    );
  }

  /** The stored set of (tx_ref, event), or null if that event never posted. */
  set(tx_ref: string, event: MoneyEvent): StoredSet | null {
    const key = one(
      this.sql.exec<{ version: number; sum_minor: number; at_ms: number }>(
        "SELECT version, sum_minor, at_ms FROM book_sets WHERE tx_ref = ? AND event = ?",
        tx_ref,
        event,
      ),
    );
    if (!key) return null;
    const postings = this.sql
      .exec<Posting>(
        "SELECT account, amount_minor FROM book_postings WHERE tx_ref = ? AND event = ? ORDER BY account",
        tx_ref,
        event,
      )
      .toArray();
    return { tx_ref, event, postings, ...key };
  }

  /** Every set of these transactions, in the order they posted. */
  setsOf(tx_refs: readonly string[]): StoredSet[] {
    const sets: StoredSet[] = [];
    for (const tx_ref of tx_refs) {
      const keys = this.sql
        .exec<{ event: MoneyEvent }>(
          "SELECT event FROM book_sets WHERE tx_ref = ? ORDER BY version",
          tx_ref,
        )
        .toArray();
      for (const { event } of keys) {
        const set = this.set(tx_ref, event);
        if (set) sets.push(set);
      }
    }
    return sets;
  }

  /** Sets whose postings do not sum to zero (none, unless a rule is wrong), oldest first. */
  unbalanced(limit: number): StoredSet[] {
    const keys = this.sql
      .exec<{ tx_ref: string; event: MoneyEvent }>(
        "SELECT tx_ref, event FROM book_sets WHERE sum_minor <> 0 ORDER BY at_ms LIMIT ?",
        limit,
      )
      .toArray();
    return keys.map((k) => this.set(k.tx_ref, k.event)).filter((s): s is StoredSet => s !== null);
  }

  totals(): ShardTotals {
    const balances = zeroBalances();
    for (const row of this.sql
      .exec<{ account: string; balance_minor: number }>(
        "SELECT account, balance_minor FROM book_accounts",
      )
      .toArray()) {
      if ((SYSTEM_ACCOUNTS as readonly string[]).includes(row.account))
        balances[row.account as keyof AccountBalances] += row.balance_minor;
    }
    const wallets = one(
      this.sql.exec<{ total: number }>(
        "SELECT COALESCE(SUM(balance_minor), 0) AS total FROM book_wallets",
      ),
    );
    const sets = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM book_sets"));
    return { balances, wallets_total_minor: wallets?.total ?? 0, sets: sets?.n ?? 0 };
  }

  /** These users' wallet accounts as this shard's postings make them (absent: no posting here). */
  walletsOf(user_ids: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const user_id of user_ids) {
      const row = one(
        this.sql.exec<{ balance_minor: number }>(
          "SELECT balance_minor FROM book_wallets WHERE user_id = ?",
          user_id,
        ),
      );
      if (row) out[user_id] = row.balance_minor;
    }
    return out;
  }

  /** One page of a Lagos day's transactions, by tx_ref after `after_tx_ref`. */
  dayTransactions(
    day: string,
    after_tx_ref: string | null,
    limit: number,
  ): { items: BookTransaction[]; next: string | null } {
    const items = this.sql
      .exec<BookTransaction>(
        `SELECT ${TX_COLUMNS} FROM book_transactions WHERE day = ? AND tx_ref > ? ORDER BY tx_ref LIMIT ?`,
        day,
        after_tx_ref ?? "",
        limit + 1,
      )
      .toArray();
    const more = items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    return { items: page, next: more ? page[page.length - 1].tx_ref : null };
  }
}
