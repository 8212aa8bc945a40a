/**
 * The books (issue 24): double-entry system accounts derived from every
 * wallet's change feed, off the money path, and the per-day record of our
 * transactions that reconciliation matches against the providers' lists.
 *
 * This module starts with the shapes the two sides agree on; the posting
 * rules live beside them.
 */
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
