/**
 * The held payment: money leaves the wallet through a provider in two phases,
 * like TigerBeetle's two-phase transfers. A hold is placed first (inside the
 * same storage transaction that checked `available`); the provider's definite
 * answer then posts it (debit) or voids it, exactly once. Withdrawals and
 * purchases (airtime, data) are held payments; nothing here knows which
 * provider or which vendor words are involved.
 */
import type { ProviderFacts, TxStatus } from "./transactions";

export type HeldView = {
  tx_ref: string;
  status: TxStatus;
  amount_minor: number;
  currency: string;
  deadline_at_ms: number;
};

export type HeldDecision =
  | { kind: "post"; provider_ref: string }
  /** The provider undid the payment: release the hold, or give a posted debit back (a new journal entry). */
  | { kind: "reverse"; message: string | null; provider_ref: string }
  /** `message` is the provider's own words, if any; the caller words the reason for its flow. */
  | { kind: "void"; message: string | null; provider_ref: string }
  | { kind: "wait" }
  | { kind: "escalate"; reason: string }
  | { kind: "ignore"; reason: "already_terminal" | "reference_mismatch"; late_success: boolean };

/**
 * The held-payment rule (invariant 3): the hold is posted only when the
 * provider says the payment SUCCEEDED, and voided only when it says it FAILED.
 * Anything else (pending, not found, an answer for another amount or
 * reference) leaves the hold in place: a payment is never re-submitted and
 * never refunded on a guess. Past its deadline an unresolved payment is
 * escalated to operators.
 *
 * "Not found" is deliberately not a failure: a provider may not list a payment
 * whose create answer we lost, so voiding then could pay the customer twice.
 * An answer for another amount or currency is escalated, never posted: the
 * hold was for exactly this amount.
 */
export function decideHeldPayment(
  tx: HeldView,
  facts: ProviderFacts,
  now_ms: number,
): HeldDecision {
  // A reversal is the one answer that still matters after success: the money
  // went back to the provider's float, so it comes back to the user, once.
  if (
    tx.status === "SUCCESS" &&
    facts.found &&
    facts.outcome === "reversed" &&
    facts.our_ref === tx.tx_ref
  ) {
    return { kind: "reverse", message: facts.message, provider_ref: facts.provider_ref };
  }
  if (tx.status !== "PENDING") {
    const late_success =
      facts.found &&
      facts.outcome === "succeeded" &&
      facts.our_ref === tx.tx_ref &&
      tx.status === "FAILED";
    return { kind: "ignore", reason: "already_terminal", late_success };
  }
  const overdue = now_ms >= tx.deadline_at_ms;
  if (!facts.found) {
    return overdue
      ? {
          kind: "escalate",
          reason: "The provider has no payment for this reference after the deadline.",
        }
      : { kind: "wait" };
  }
  if (facts.our_ref !== null && facts.our_ref !== tx.tx_ref)
    return { kind: "ignore", reason: "reference_mismatch", late_success: false };
  if (facts.outcome === "reversed")
    return { kind: "reverse", message: facts.message, provider_ref: facts.provider_ref };
  // An amount the provider does not state is not a mismatch (VTpass's answers
  // may omit it; the purchase is identified by our reference); a stated
  // amount or currency other than the hold's is, and is never posted.
  if (
    facts.currency !== tx.currency ||
    (facts.amount_minor !== null && facts.amount_minor !== tx.amount_minor)
  ) {
    return {
      kind: "escalate",
      reason: `Provider payment ${facts.provider_ref} does not match: ${facts.amount_minor} ${facts.currency}.`,
    };
  }
  switch (facts.outcome) {
    case "succeeded":
      return { kind: "post", provider_ref: facts.provider_ref };
    case "failed":
      return { kind: "void", message: facts.message, provider_ref: facts.provider_ref };
    case "pending":
      return overdue
        ? {
            kind: "escalate",
            reason: "The provider still reports the payment as pending after the deadline.",
          }
        : { kind: "wait" };
    default: {
      const unreachable: never = facts.outcome;
      throw new Error(`unhandled payment outcome ${String(unreachable)}`);
    }
  }
}
