/**
 * The Wallet's side of the MongoDB projection's repair tools: requeue a page
 * of the ledger at the feed's tail (a reprojection), and the ledger's current
 * view for the consistency checker. Pure storage work; the Wallet delivers.
 */
import type { ProfileVersion, TransactionChange, WalletVersion } from "../../domain/records";
import type { WalletCore } from "./core";
import { requeueChange } from "./feed";
import { REPROJECT_PAGE_MAX } from "./limits";

/** The ledger's records as the projection sees them (the consistency checker's input). */
export type LedgerView = {
  profile: ProfileVersion | null;
  wallet: WalletVersion | null;
  transactions: TransactionChange[];
  has_more: boolean;
};

/** What one reproject call queued, and where the next page starts. */
export type ReprojectPage = {
  users: number;
  wallets: number;
  transactions: number;
  has_more: boolean;
  next_starting_after: string | null;
};

/**
 * On the first page (no cursor) the profile and the wallet, then up to
 * REPROJECT_PAGE_MAX transactions in tx_ref order, each at its current
 * version, replacing its own entry in the feed (same entity, key and
 * version) at the tail, in one storage transaction. Null for a wallet that
 * does not exist.
 */
export function requeuePage(
  core: WalletCore,
  starting_after: string | undefined,
  now_ms: number,
): ReprojectPage | null {
  const profile = core.ledger.profileVersion();
  const wallet = core.ledger.walletVersion();
  if (!profile || !wallet) return null;
  const page = core.store.page(starting_after ?? "", REPROJECT_PAGE_MAX);
  core.storage.transactionSync(() => {
    const sql = core.storage.sql;
    if (starting_after === undefined) {
      requeueChange(sql, "profile", profile.user_id, profile.version, profile, now_ms);
      requeueChange(sql, "wallet", wallet.user_id, wallet.version, wallet, now_ms);
    }
    for (const tx of page.data)
      requeueChange(
        sql,
        "transaction",
        tx.tx_ref,
        tx.version,
        { ...tx, owner_user_id: profile.user_id },
        now_ms,
      );
  });
  const first = starting_after === undefined ? 1 : 0;
  return {
    users: first,
    wallets: first,
    transactions: page.data.length,
    has_more: page.has_more,
    next_starting_after: page.has_more ? page.data[page.data.length - 1].tx_ref : null,
  };
}

/** Profile, wallet and a page of transactions in tx_ref order, as they stand. */
export function ledgerView(core: WalletCore, starting_after: string, limit: number): LedgerView {
  const profile = core.ledger.profileVersion();
  const page = core.store.page(
    starting_after,
    Math.min(Math.max(1, Math.floor(limit)), REPROJECT_PAGE_MAX),
  );
  return {
    profile,
    wallet: core.ledger.walletVersion(),
    transactions: page.data.map((tx) => ({ ...tx, owner_user_id: profile?.user_id ?? "" })),
    has_more: page.has_more,
  };
}
