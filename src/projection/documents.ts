/**
 * The ledger's records as projection changes: which collection, which key,
 * which version, and which fields of the snapshot a document carries. Pure,
 * so the feed's projection reader and the consistency checker derive the
 * expected documents the same way.
 *
 * What is left out on purpose: the payment link, per-type details (bank
 * account numbers, phone numbers) and the reconciler's scheduling fields.
 * The projection serves reports and support tools; it is not a second copy
 * of personal data, and never of a password hash (the ledger has none).
 */
import {
  tokenOfDetails,
  type ProfileVersion,
  type TransactionChange,
  type WalletVersion,
} from "../domain/records";
import type { ProjectionChange } from "./mongo-writes";

export function userChange(profile: ProfileVersion): ProjectionChange {
  return {
    collection: "users",
    key: profile.user_id,
    version: profile.version,
    doc: {
      email: profile.email,
      full_name: profile.full_name,
      created_at_ms: profile.created_at_ms,
    },
  };
}

export function walletChange(wallet: WalletVersion): ProjectionChange {
  return {
    collection: "wallets",
    key: wallet.user_id,
    version: wallet.version,
    doc: {
      currency: wallet.currency,
      balance_minor: wallet.balance_minor,
      available_minor: wallet.available_minor,
      is_active: wallet.is_active,
      // Flat, so the consistency check compares values; versions written before freezes carry none.
      frozen_mode: wallet.frozen?.mode ?? null,
      frozen_reason: wallet.frozen?.reason ?? null,
      // Versions written before the tiers (schema step 9) carry none: they were tier 0.
      tier: wallet.tier ?? 0,
      // The tier's limits as that version was written (absent before them: the
      // projection fills them in at the same version, projection/mongo-writes.ts).
      ...(wallet.daily_limit_minor === undefined
        ? {}
        : {
            daily_limit_minor: wallet.daily_limit_minor,
            max_balance_minor: wallet.max_balance_minor ?? null,
          }),
      created_at_ms: wallet.created_at_ms,
      updated_at_ms: wallet.updated_at_ms,
    },
  };
}

export function transactionChange(tx: TransactionChange): ProjectionChange {
  return {
    collection: "transactions",
    key: tx.tx_ref,
    version: tx.version,
    doc: {
      user_id: tx.owner_user_id,
      type: tx.type,
      status: tx.status,
      stage: tx.stage,
      amount_minor: tx.amount_minor,
      fee_minor: tx.fee_minor,
      currency: tx.currency,
      provider_ref: tx.provider_ref,
      failure_reason: tx.failure_reason,
      created_at_ms: tx.created_at_ms,
      updated_at_ms: tx.updated_at_ms,
      settled_at_ms: tx.settled_at_ms,
      // A bill's token is what the customer paid for: support looks it up here.
      ...tokenOfDetails(tx.details),
    },
  };
}

/** A change of the feed, as its projection change. */
export function projectionChangeOf(
  change:
    | { entity: "profile"; body: ProfileVersion }
    | { entity: "wallet"; body: WalletVersion }
    | { entity: "transaction"; body: TransactionChange },
): ProjectionChange {
  switch (change.entity) {
    case "profile":
      return userChange(change.body);
    case "wallet":
      return walletChange(change.body);
    case "transaction":
      return transactionChange(change.body);
    default: {
      const unknown: never = change;
      throw new Error(`no projection for entity ${String((unknown as { entity: string }).entity)}`);
    }
  }
}

/**
 * The lane (projector object) of a wallet: FNV-1a of the user id, modulo the
 * lane count. Stable, so one wallet's changes always go through one object,
 * in order.
 */
export function laneOf(user_id: string, lanes: number): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < user_id.length; i++) {
    hash ^= user_id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash % lanes);
}
