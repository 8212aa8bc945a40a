/**
 * The books over their shards (the Books objects, src/durable/books/object.ts):
 * readers that ask every shard at once and sum. Only operators' routes and
 * reconciliation come here; no wallet change does: the wallets' feeds deliver
 * to the shards themselves (src/durable/wallet/books-reader.ts).
 */
import {
  booksShardName,
  booksShardOf,
  identityOf,
  SYSTEM_ACCOUNTS,
  zeroBalances,
  type AccountBalances,
  type BookTransaction,
  type Identity,
} from "../domain/books";
import {
  BOOKS_ANOMALY_ENTRIES_MAX,
  BOOKS_DAY_PAGE_MAX,
  BOOKS_SHARDS,
} from "../durable/books/limits";
import type { StoredSet } from "../durable/books/object";

const everyShard = () => Array.from({ length: BOOKS_SHARDS }, (_, i) => i);
const shard = (env: Env, i: number) => env.BOOKS.getByName(booksShardName(i));

/** What GET /admin/accounts answers. */
export type AccountsView = {
  balances: AccountBalances;
  wallets_total_minor: number;
  posting_sets: number;
  identity: Identity;
  /** Present only when the identity does not hold: the posting sets that explain it (bounded). */
  anomaly: { difference_minor: number; entries: StoredSet[]; truncated: boolean } | null;
};

/**
 * Every system account's balance and what we owe users, summed over the
 * shards, and the identity between them. The shards are asked at once, so
 * the sums are of nearly one instant; a delivery landing between two
 * shards' answers only adds a balanced set to one of them (each set lives in
 * one shard, whole), so the identity holds of any mix of answers.
 */
export async function accountsView(env: Env): Promise<AccountsView> {
  const parts = await Promise.all(everyShard().map((i) => shard(env, i).totals()));
  const balances = zeroBalances();
  let wallets_total_minor = 0;
  let posting_sets = 0;
  for (const part of parts) {
    for (const account of SYSTEM_ACCOUNTS) balances[account] += part.balances[account];
    wallets_total_minor += part.wallets_total_minor;
    posting_sets += part.sets;
  }
  const identity = identityOf(balances, wallets_total_minor);
  if (identity.holds)
    return { balances, wallets_total_minor, posting_sets, identity, anomaly: null };
  const found = (await Promise.all(everyShard().map((i) => shard(env, i).unbalanced()))).flat();
  found.sort((a, b) => a.at_ms - b.at_ms);
  return {
    balances,
    wallets_total_minor,
    posting_sets,
    identity,
    anomaly: {
      difference_minor: identity.difference_minor,
      entries: found.slice(0, BOOKS_ANOMALY_ENTRIES_MAX),
      truncated: found.length > BOOKS_ANOMALY_ENTRIES_MAX,
    },
  };
}

/** The posting sets of some transactions, each asked of its own shard. */
export async function entriesOf(env: Env, tx_refs: readonly string[]): Promise<StoredSet[]> {
  const byShard = new Map<number, string[]>();
  for (const tx_ref of tx_refs) {
    const i = booksShardOf(tx_ref, BOOKS_SHARDS);
    byShard.set(i, [...(byShard.get(i) ?? []), tx_ref]);
  }
  const parts = await Promise.all([...byShard].map(([i, refs]) => shard(env, i).entriesOf(refs)));
  return parts.flat();
}

/** Users' wallet accounts in the books: each user's postings summed over every shard. */
export async function walletAccountsOf(
  env: Env,
  user_ids: readonly string[],
): Promise<Record<string, number>> {
  const parts = await Promise.all(everyShard().map((i) => shard(env, i).walletsOf([...user_ids])));
  const out: Record<string, number> = Object.fromEntries(user_ids.map((u) => [u, 0]));
  for (const part of parts) for (const [u, v] of Object.entries(part)) out[u] += v;
  return out;
}

/**
 * Every transaction created on a Lagos day (YYYY-MM-DD), at the highest
 * version the books have, from every shard, each paged through to its end:
 * what reconciliation matches against the providers' lists.
 */
export async function ourTransactionsOfDay(env: Env, day: string): Promise<BookTransaction[]> {
  const parts = await Promise.all(
    everyShard().map(async (i) => {
      const items: BookTransaction[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { items: BookTransaction[]; next: string | null } = await shard(
          env,
          i,
        ).dayTransactions(day, after, BOOKS_DAY_PAGE_MAX);
        items.push(...page.items);
        if (page.next === null) return items;
        after = page.next;
      }
    }),
  );
  return parts.flat().sort((a, b) => (a.tx_ref < b.tx_ref ? -1 : a.tx_ref > b.tx_ref ? 1 : 0));
}
