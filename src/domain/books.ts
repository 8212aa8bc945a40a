/**
 * The books (issue 24): double-entry system accounts derived from every
 * wallet's change feed, off the money path, and the per-day record of our
 * transactions that reconciliation matches against the providers' lists.
 *
 * This module starts with the shapes the two sides agree on; the posting
 * rules live beside them.
 */
import { effectOf, isStageOf, statusOf } from "./flows";
import { shardOf } from "./operator";
import { lagosDayKey } from "./tiers";
import type { TxStatus, TxType } from "./transactions";

/** The system accounts every transaction posts against (besides the user's wallet account). */
export const SYSTEM_ACCOUNTS = [
  "flutterwave:collections",
  "flutterwave:payouts",
  "flutterwave:fees",
  "vtpass:float",
  "refunds:payable",
  "adjustments",
  "revenue:fees",
] as const;
export type SystemAccount = (typeof SYSTEM_ACCOUNTS)[number];

/**
 * One of our transactions as the books keep it for a Lagos day: what
 * reconciliation matches, one-to-one, against a provider's record. `day` is
 * the Lagos calendar day (YYYY-MM-DD) the transaction was created on.
 */
export type BookTransaction = {
  tx_ref: string;
  owner_user_id: string;
  type: TxType;
  status: TxStatus;
  stage: string;
  version: number;
  amount_minor: number;
  fee_minor: number;
  currency: string;
  /** Our name for it at the provider (Flutterwave's tx_ref or transfer reference, VTpass's request_id). */
  provider_ref: string | null;
  /** The provider's own id, where it gave one (Flutterwave's transaction or transfer id). */
  provider_id: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  settled_at_ms: number | null;
  day: string;
};

// ==== Posting rules ==================================================================
//
// Every money movement of a wallet's journal becomes one posting set: a
// balanced entry (its amounts sum to zero) between the user's wallet account
// and system accounts. Sign: a positive amount credits an account, a negative
// one debits it. A wallet account is what we owe its user, so its balance is
// positive; a system account's balance is the other side of the same money
// (flutterwave:collections is debited when a funding is credited, so its
// balance is minus what we collected).
//
// The books mirror the journal exactly (src/durable/wallet/store.ts `enter`):
// they move only where a stage's effect (./flows.ts) moves the balance, by
// the same amounts. A hold moves no book money (the balance is unchanged; the
// hold only limits what is available), so a void posts nothing either.

/** A money event of one transaction: at most one posting set per (tx_ref, event). */
export const MONEY_EVENTS = [
  "credit",
  "post",
  "reverse",
  "debit",
  "refund_owed",
  "refund_credited",
  "refund_closed",
] as const;
export type MoneyEvent = (typeof MONEY_EVENTS)[number];

export type Posting = { account: string; amount_minor: number };
export type PostingSet = { tx_ref: string; event: MoneyEvent; postings: Posting[] };

/** What a posting rule reads of a transaction's version on the feed. */
export type BookVersion = {
  tx_ref: string;
  owner_user_id: string;
  type: TxType;
  stage: string;
  amount_minor: number;
  fee_minor: number;
};

const WALLET_PREFIX = "wallet:";

/** The user's wallet account in the books. */
export function walletAccount(user_id: string): string {
  return `${WALLET_PREFIX}${user_id}`;
}

export function isWalletAccount(account: string): boolean {
  return account.startsWith(WALLET_PREFIX);
}

/** Purchases are paid from our float at VTpass. */
const PURCHASE_TYPES: ReadonlySet<TxType> = new Set(["AIRTIME", "DATA", "ELECTRICITY", "TV"]);

/** The event a version's stage is, or null when entering it moves no book money. */
export function moneyEventOf(tx: Pick<BookVersion, "type" | "stage">): MoneyEvent | null {
  if (!isStageOf(tx.type, tx.stage)) return null;
  if (tx.type === "REFUND") {
    if (tx.stage === "refund_requested") return "refund_owed";
    if (tx.stage === "credited_to_wallet") return "refund_credited";
    return statusOf(tx.type, tx.stage) === "PENDING" ? null : "refund_closed";
  }
  switch (effectOf(tx.type, tx.stage)) {
    case "credit":
      return "credit";
    case "debit":
      return "debit";
    case "post_hold":
      return "post";
    case "reverse":
      return "reverse";
    default:
      return null;
  }
}

/** The event a later one undoes or closes, whose stored set decides what it posts. */
export function earlierEventOf(event: MoneyEvent): MoneyEvent | null {
  if (event === "reverse") return "post";
  if (event === "refund_credited" || event === "refund_closed") return "refund_owed";
  return null;
}

function balanced(tx_ref: string, event: MoneyEvent, postings: Posting[]): PostingSet {
  return { tx_ref, event, postings: postings.filter((p) => p.amount_minor !== 0) };
}

function negated(set: PostingSet, event: MoneyEvent): PostingSet {
  return balanced(
    set.tx_ref,
    event,
    set.postings.map((p) => ({ account: p.account, amount_minor: -p.amount_minor })),
  );
}

/**
 * The posting set of entering `event` with this version, given the set the
 * earlier event posted (`earlier`, for a reversal or a refund's end; null if
 * none was posted). Null: nothing to post.
 *
 * - a funding credited: the wallet is credited, collections debited;
 * - a held payment posted: the wallet is debited amount + fee (what the hold
 *   held and the journal debits), the provider's side credited the amount
 *   (payouts for a withdrawal, the VTpass float for a purchase), revenue the fee;
 * - a reversal: the exact opposite of the post, if one was posted; a purchase
 *   reversed while its hold was open moved no money (the hold was voided);
 * - an operator's adjustment: the wallet against `adjustments`;
 * - a refund: when requested, money collected but never credited becomes
 *   payable; when it is credited to the wallet, the payable (or, if its
 *   request predates the books, collections) pays the wallet; when it is
 *   refunded or ends without a refund, the payable goes back to collections
 *   (refunded: it left our balance at Flutterwave; failed: it is no longer in
 *   a refund, and its anomaly stays open for operators).
 * The provider's own fee (flutterwave:fees) is not in our records yet, so no
 * rule posts to it; the account exists so reconciliation can.
 */
export function postingsOf(
  tx: BookVersion,
  event: MoneyEvent,
  earlier: PostingSet | null,
): PostingSet | null {
  const wallet = walletAccount(tx.owner_user_id);
  const amount = tx.amount_minor;
  switch (event) {
    case "credit":
      if (tx.type === "ADJUSTMENT")
        return balanced(tx.tx_ref, event, [
          { account: wallet, amount_minor: amount },
          { account: "adjustments", amount_minor: -amount },
        ]);
      return balanced(tx.tx_ref, event, [
        { account: wallet, amount_minor: amount },
        { account: "flutterwave:collections", amount_minor: -amount },
      ]);
    case "debit":
      return balanced(tx.tx_ref, event, [
        { account: wallet, amount_minor: -amount },
        { account: "adjustments", amount_minor: amount },
      ]);
    case "post":
      return balanced(tx.tx_ref, event, [
        { account: wallet, amount_minor: -(amount + tx.fee_minor) },
        {
          account: PURCHASE_TYPES.has(tx.type) ? "vtpass:float" : "flutterwave:payouts",
          amount_minor: amount,
        },
        { account: "revenue:fees", amount_minor: tx.fee_minor },
      ]);
    case "reverse":
      return earlier ? negated(earlier, event) : null;
    case "refund_owed":
      return balanced(tx.tx_ref, event, [
        { account: "refunds:payable", amount_minor: amount },
        { account: "flutterwave:collections", amount_minor: -amount },
      ]);
    case "refund_credited":
      return balanced(tx.tx_ref, event, [
        { account: wallet, amount_minor: amount },
        {
          account: earlier ? "refunds:payable" : "flutterwave:collections",
          amount_minor: -amount,
        },
      ]);
    case "refund_closed":
      return earlier ? negated(earlier, event) : null;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown money event ${String(unreachable)}`);
    }
  }
}

/** A posting set's sum: zero for every set the rules make. */
export function sumOf(set: Pick<PostingSet, "postings">): number {
  return set.postings.reduce((sum, p) => sum + p.amount_minor, 0);
}

// ==== The identity ===================================================================

export type AccountBalances = Record<SystemAccount, number>;

export function zeroBalances(): AccountBalances {
  return Object.fromEntries(SYSTEM_ACCOUNTS.map((a) => [a, 0])) as AccountBalances;
}

/**
 * What we owe users, from the system accounts alone, in the words of money
 * in and out: what we collected (net of refunds), minus what we paid out,
 * minus what purchases spent from the float, minus fees kept, minus refunds
 * still payable, plus operators' net adjustments. Equal to the sum of the
 * wallet accounts exactly when every posting set is balanced.
 */
export type Identity = {
  collections_minor: number;
  payouts_minor: number;
  purchases_minor: number;
  fees_minor: number;
  refunds_payable_minor: number;
  adjustments_minor: number;
  expected_wallets_minor: number;
  wallets_total_minor: number;
  difference_minor: number;
  holds: boolean;
};

export function identityOf(balances: AccountBalances, wallets_total_minor: number): Identity {
  const collections_minor = -balances["flutterwave:collections"];
  const payouts_minor = balances["flutterwave:payouts"];
  const purchases_minor = balances["vtpass:float"];
  const fees_minor = balances["revenue:fees"] + balances["flutterwave:fees"];
  const refunds_payable_minor = balances["refunds:payable"];
  const adjustments_minor = -balances.adjustments;
  const expected_wallets_minor =
    collections_minor -
    payouts_minor -
    purchases_minor -
    fees_minor -
    refunds_payable_minor +
    adjustments_minor;
  const difference_minor = wallets_total_minor - expected_wallets_minor;
  return {
    collections_minor,
    payouts_minor,
    purchases_minor,
    fees_minor,
    refunds_payable_minor,
    adjustments_minor,
    expected_wallets_minor,
    wallets_total_minor,
    difference_minor,
    holds: difference_minor === 0,
  };
}

// ==== The day's record ===============================================================

/** Our reference at the provider and the provider's own id, by who carries the transaction. */
function providerNames(tx: {
  tx_ref: string;
  type: TxType;
  provider_ref: string | null;
}): Pick<BookTransaction, "provider_ref" | "provider_id"> {
  if (tx.type === "ADJUSTMENT") return { provider_ref: null, provider_id: null };
  // A purchase's stored provider_ref is the request_id we named at VTpass.
  if (PURCHASE_TYPES.has(tx.type)) return { provider_ref: tx.provider_ref, provider_id: null };
  // Flutterwave knows our tx_ref (checkout, transfer reference, refund); its id is what it answered.
  return { provider_ref: tx.tx_ref, provider_id: tx.provider_ref };
}

/** The day record of a transaction's version (TransactionChange's fields). */
export function bookTransactionOf(tx: {
  tx_ref: string;
  owner_user_id: string;
  type: TxType;
  status: TxStatus;
  stage: string;
  version: number;
  amount_minor: number;
  fee_minor: number;
  currency: string;
  provider_ref: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  settled_at_ms: number | null;
}): BookTransaction {
  return {
    tx_ref: tx.tx_ref,
    owner_user_id: tx.owner_user_id,
    type: tx.type,
    status: tx.status,
    stage: tx.stage,
    version: tx.version,
    amount_minor: tx.amount_minor,
    fee_minor: tx.fee_minor,
    currency: tx.currency,
    ...providerNames(tx),
    created_at_ms: tx.created_at_ms,
    updated_at_ms: tx.updated_at_ms,
    settled_at_ms: tx.settled_at_ms,
    day: lagosDayKey(tx.created_at_ms),
  };
}

// ==== Shards =========================================================================

/** The Books shard a transaction's postings and day record live in (the same hash as the operator index). */
export function booksShardOf(tx_ref: string, shards: number): number {
  return shardOf(tx_ref, shards);
}

export function booksShardName(index: number): string {
  return `books-${index}`;
}
