/** Wire views of wallet objects: decimal strings beside integer kobo, ISO times. */
import { formatMinor } from "../domain/money";
import type { TransactionRecord, WalletSummary } from "../durable/wallet/object";

const iso = (ms: number) => new Date(ms).toISOString();

export function walletView(summary: WalletSummary) {
  return {
    user_id: summary.user_id,
    currency: summary.currency,
    balance: formatMinor(summary.balance_minor),
    balance_minor: summary.balance_minor,
    available: formatMinor(summary.available_minor),
    available_minor: summary.available_minor,
    held: formatMinor(summary.held_minor),
    held_minor: summary.held_minor,
    is_active: summary.is_active,
    frozen: summary.frozen,
  };
}

export function transactionView(tx: TransactionRecord) {
  return {
    tx_ref: tx.tx_ref,
    type: tx.type,
    status: tx.status,
    stage: tx.stage,
    amount: formatMinor(tx.amount_minor),
    amount_minor: tx.amount_minor,
    fee: formatMinor(tx.fee_minor),
    fee_minor: tx.fee_minor,
    currency: tx.currency,
    payment_link: tx.payment_link,
    failure_reason: tx.failure_reason,
    details: tx.details,
    created_at: iso(tx.created_at_ms),
    updated_at: iso(tx.updated_at_ms),
    settled_at: tx.settled_at_ms === null ? null : iso(tx.settled_at_ms),
  };
}

export function fundingView(tx: TransactionRecord) {
  return {
    tx_ref: tx.tx_ref,
    status: tx.status,
    amount: formatMinor(tx.amount_minor),
    amount_minor: tx.amount_minor,
    currency: tx.currency,
    payment_link: tx.payment_link,
    expires_at: iso(tx.deadline_at_ms),
  };
}

/** How to watch a transaction live: the WebSocket URL and a ticket scoped to it. */
export function watchView(websocket_url: string, ticket: string) {
  return { websocket_url, ticket };
}
