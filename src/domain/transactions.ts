/**
 * Transaction vocabulary and the pure rules that decide what a provider's
 * answer does to a pending transaction. No Cloudflare imports: the Wallet
 * object applies these decisions inside its storage transactions, and the
 * property tests exercise them directly.
 */
import { FUNDING_DEADLINE_GRACE_MS, RECONCILE_BACKOFF_S } from "../lib/limits";

export const TX_TYPES = ["FUND", "WITHDRAW", "AIRTIME", "DATA"] as const;
export type TxType = (typeof TX_TYPES)[number];
/** The statuses the existing clients know. Terminal: SUCCESS, FAILED. */
export const TX_STATUSES = ["PENDING", "SUCCESS", "FAILED"] as const;
export type TxStatus = (typeof TX_STATUSES)[number];
export const HOLD_STATUSES = ["pending", "posted", "voided"] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** What the provider says about a charge, in our words (see providers/flutterwave). */
export type ChargeFacts =
  | { found: false }
  | { found: true; provider_id: string; tx_ref: string; status: "successful" | "failed" | "pending"; amount_minor: number; currency: string };

export type FundingView = { tx_ref: string; status: TxStatus; amount_minor: number; currency: string; deadline_at_ms: number };

export type FundingDecision =
  | { kind: "credit"; amount_minor: number; overpaid_minor: number; provider_id: string }
  | { kind: "fail"; reason: string; provider_id: string | null }
  | { kind: "attempt_failed"; provider_id: string }
  | { kind: "wait" }
  | { kind: "escalate"; reason: string }
  | { kind: "ignore"; reason: "already_terminal" | "tx_ref_mismatch"; late_success: boolean };

/**
 * The funding rule (invariant 4): credit only when the provider says the charge
 * is successful, for this tx_ref, in this currency, for at least the expected
 * amount. An overpayment credits the expected amount and records the excess
 * for a refund, as Flutterwave advises.
 *
 * A failed card attempt does not end the funding while its checkout is open:
 * the customer may retry on the same page, and a later success must still be
 * credited. Only the deadline (checkout session plus grace) ends a funding that
 * never succeeded.
 */
export function decideFunding(tx: FundingView, facts: ChargeFacts, now_ms: number): FundingDecision {
  if (tx.status !== "PENDING") {
    const late_success = facts.found && facts.status === "successful" && facts.tx_ref === tx.tx_ref && tx.status === "FAILED";
    return { kind: "ignore", reason: "already_terminal", late_success };
  }
  const past_deadline = now_ms >= tx.deadline_at_ms;
  if (!facts.found) {
    return past_deadline ? { kind: "fail", reason: "No payment was made before the checkout expired.", provider_id: null } : { kind: "wait" };
  }
  if (facts.tx_ref !== tx.tx_ref) return { kind: "ignore", reason: "tx_ref_mismatch", late_success: false };
  switch (facts.status) {
    case "successful": {
      if (facts.currency !== tx.currency) {
        return { kind: "fail", reason: `Paid in ${facts.currency}, expected ${tx.currency}; the payment will be refunded.`, provider_id: facts.provider_id };
      }
      if (facts.amount_minor < tx.amount_minor) {
        return {
          kind: "fail",
          reason: `Underpaid: received ${facts.amount_minor} kobo, expected ${tx.amount_minor}; the payment will be refunded.`,
          provider_id: facts.provider_id,
        };
      }
      return { kind: "credit", amount_minor: tx.amount_minor, overpaid_minor: facts.amount_minor - tx.amount_minor, provider_id: facts.provider_id };
    }
    case "failed":
      return past_deadline
        ? { kind: "fail", reason: "The payment failed.", provider_id: facts.provider_id }
        : { kind: "attempt_failed", provider_id: facts.provider_id };
    case "pending":
      return past_deadline ? { kind: "escalate", reason: "Provider still reports the payment as pending after the deadline." } : { kind: "wait" };
    default: {
      const unreachable: never = facts.status;
      throw new Error(`unhandled charge status ${String(unreachable)}`);
    }
  }
}

export function fundingDeadline(created_at_ms: number, session_minutes: number, link_expiry_minutes: number): number {
  return created_at_ms + Math.max(session_minutes, link_expiry_minutes) * 60_000 + FUNDING_DEADLINE_GRACE_MS;
}

/** When to re-verify next, after `attempts` checks so far. */
export function nextCheckDelayMs(attempts: number): number {
  const index = Math.min(Math.max(attempts, 0), RECONCILE_BACKOFF_S.length - 1);
  return RECONCILE_BACKOFF_S[index] * 1000;
}

// ---- Withdrawals ------------------------------------------------------------------

/** What the provider says about a transfer, in our words. */
export type TransferFacts =
  | { found: false }
  | {
      found: true;
      provider_id: string;
      reference: string | null;
      status: "successful" | "failed" | "pending";
      amount_minor: number;
      currency: string;
      message: string | null;
    };

export type WithdrawalView = { tx_ref: string; status: TxStatus; amount_minor: number; currency: string; created_at_ms: number };

export type WithdrawalDecision =
  | { kind: "post"; provider_id: string }
  | { kind: "void"; reason: string; provider_id: string }
  | { kind: "wait" }
  | { kind: "escalate"; reason: string }
  | { kind: "ignore"; reason: "already_terminal" | "reference_mismatch"; late_success: boolean };

/**
 * The withdrawal rule (invariant 3): the hold placed at request time is posted
 * (debited) only when the provider says the transfer SUCCEEDED, and voided only
 * when it says the transfer FAILED. Anything else (pending, not found, an
 * answer that does not match the transaction) leaves the hold in place: a
 * transfer is never re-submitted and never refunded on a guess. Past the
 * escalation deadline an unresolved withdrawal is escalated to operators.
 *
 * "Not found" is deliberately not a failure: the provider may not list a
 * transfer whose create answer we lost (and whether its list filters by
 * reference is unconfirmed), so voiding then could pay the customer twice.
 */
export function decideWithdrawal(tx: WithdrawalView, facts: TransferFacts, now_ms: number, escalate_after_ms: number): WithdrawalDecision {
  if (tx.status !== "PENDING") {
    const late_success = facts.found && facts.status === "successful" && facts.reference === tx.tx_ref && tx.status === "FAILED";
    return { kind: "ignore", reason: "already_terminal", late_success };
  }
  const overdue = now_ms - tx.created_at_ms >= escalate_after_ms;
  if (!facts.found) {
    return overdue ? { kind: "escalate", reason: "The provider has no transfer for this reference after the deadline." } : { kind: "wait" };
  }
  if (facts.reference !== null && facts.reference !== tx.tx_ref) return { kind: "ignore", reason: "reference_mismatch", late_success: false };
  if (facts.currency !== tx.currency || facts.amount_minor !== tx.amount_minor) {
    return { kind: "escalate", reason: `Provider transfer ${facts.provider_id} does not match: ${facts.amount_minor} ${facts.currency}.` };
  }
  switch (facts.status) {
    case "successful":
      return { kind: "post", provider_id: facts.provider_id };
    case "failed":
      return { kind: "void", reason: facts.message ? `The bank transfer failed: ${facts.message}` : "The bank transfer failed.", provider_id: facts.provider_id };
    case "pending":
      return overdue ? { kind: "escalate", reason: "The provider still reports the transfer as pending after the deadline." } : { kind: "wait" };
    default: {
      const unreachable: never = facts.status;
      throw new Error(`unhandled transfer status ${String(unreachable)}`);
    }
  }
}
