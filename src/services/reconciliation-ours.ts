/**
 * Our side of a day for the reconciliation, read wallet by wallet: every user
 * in the operator's users index, each wallet's transactions created in the
 * Lagos day (the wallet's own list, by creation time), as `BookTransaction`s.
 *
 * The books (issue 24) keep the same per-day records in
 * a few shards, without a call per wallet; where they are deployed,
 * `ourTransactionsOfDay` replaces this loader (it has the same shape,
 * `LoadOurs`, and is passed in where the cron and the route call
 * `runReconciliation`).
 */
import type { BookTransaction } from "../domain/books";
import { lagosDayWindow } from "../domain/reconciliation";
import type { TransactionRecord } from "../domain/records";
import { RECON_USERS_PAGE } from "../durable/reconciliations/limits";
import { TRANSACTIONS_PAGE_MAX } from "../durable/wallet/limits";
import { requireConfig } from "../lib/config";
import { listUsers } from "./operator-index";

/** A wallet's transaction as the books record it for its Lagos day. */
export function bookTransactionOf(
  owner_user_id: string,
  tx: TransactionRecord,
  day: string,
): BookTransaction {
  // Flutterwave holds our tx_ref (a charge's tx_ref, a transfer's reference) and
  // we store its id; VTpass holds the request_id we stored before paying.
  const at_flutterwave = tx.type === "FUND" || tx.type === "WITHDRAW";
  return {
    tx_ref: tx.tx_ref,
    owner_user_id,
    type: tx.type,
    status: tx.status,
    stage: tx.stage,
    version: tx.version,
    amount_minor: tx.amount_minor,
    fee_minor: tx.fee_minor,
    currency: tx.currency,
    provider_ref: at_flutterwave ? tx.tx_ref : tx.provider_ref,
    provider_id: at_flutterwave ? tx.provider_ref : null,
    created_at_ms: tx.created_at_ms,
    updated_at_ms: tx.updated_at_ms,
    settled_at_ms: tx.settled_at_ms,
    day,
  };
}

/** Every wallet's transactions created in the Lagos `day`. */
export async function walletTransactionsOfDay(env: Env, day: string): Promise<BookTransaction[]> {
  const window = lagosDayWindow(day);
  if (!window) return [];
  const shards = requireConfig(env).OPERATOR_INDEX_SHARDS;
  const out: BookTransaction[] = [];
  let starting_after: string | undefined;
  for (;;) {
    const users = await listUsers(env, shards, { limit: RECON_USERS_PAGE, starting_after });
    for (const { user_id } of users.data) {
      const wallet = env.WALLET.getByName(user_id);
      let after: string | undefined;
      for (;;) {
        const page = await wallet.listTransactions({
          limit: TRANSACTIONS_PAGE_MAX,
          starting_after: after,
          created_gte_ms: window.start_ms,
          created_lte_ms: window.end_ms - 1,
        });
        if (!page.ok) break;
        out.push(...page.data.map((tx) => bookTransactionOf(user_id, tx, day)));
        if (!page.has_more || page.data.length === 0) break;
        after = page.data[page.data.length - 1].tx_ref;
      }
    }
    if (!users.has_more || users.data.length === 0) return out;
    starting_after = users.data[users.data.length - 1].user_id;
  }
}
