/**
 * Transaction vocabulary, the neutral facts a provider's answer is translated
 * into, and the funding rule. No Cloudflare imports and no vendor words: the
 * provider adapters (src/providers/) speak the vendors' languages and hand the
 * Wallet object these facts; the Wallet applies the decisions inside its
 * storage transactions; the property tests exercise them directly.
 */
import {
  FUNDING_DEADLINE_GRACE_MS,
  PURCHASE_REQUERY_BACKOFF_S,
  RECONCILE_BACKOFF_S,
  REFUND_REQUERY_BACKOFF_S,
} from "./limits";

export const TX_TYPES = [
  "FUND",
  "WITHDRAW",
  "AIRTIME",
  "DATA",
  "REFUND",
  "ADJUSTMENT",
  "ELECTRICITY",
  "TV",
] as const;
export type TxType = (typeof TX_TYPES)[number];
/** The statuses the existing clients know. Terminal: SUCCESS, FAILED. */
export const TX_STATUSES = ["PENDING", "SUCCESS", "FAILED"] as const;
export type TxStatus = (typeof TX_STATUSES)[number];
export const HOLD_STATUSES = ["pending", "posted", "voided"] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** Per-type extra facts (bank, narration, phone...). Flat and serialisable. */
export type TxDetails = Record<string, string | number | boolean | null>;

/**
 * What a provider says happened to a payment, in our words. `reversed`: the
 * provider undid it and returned the money (a purchase VTpass reverses).
 */
export const PROVIDER_OUTCOMES = ["succeeded", "failed", "pending", "reversed"] as const;
export type ProviderOutcome = (typeof PROVIDER_OUTCOMES)[number];

/**
 * What the provider says about one of our transactions, in our words: a charge
 * (funding), a transfer (withdrawal) or a purchase (airtime, data). `our_ref` is the
 * reference the provider holds for it (our tx_ref when the provider carries
 * it; null when it does not say), `provider_ref` the provider's own id.
 */
export type ProviderFacts =
  | { found: false }
  | {
      found: true;
      provider_ref: string;
      our_ref: string | null;
      outcome: ProviderOutcome;
      /** Null when the provider did not say (a purchase answer without an amount): never enough to credit. */
      amount_minor: number | null;
      currency: string;
      message: string | null;
      /** Facts worth keeping with the transaction (the provider's receipt id, the product delivered). */
      details?: TxDetails;
    };
export type FoundFacts = Extract<ProviderFacts, { found: true }>;

export type FundingView = {
  tx_ref: string;
  status: TxStatus;
  amount_minor: number;
  currency: string;
  deadline_at_ms: number;
  /** The charge the funding was settled or failed by, if any. */
  provider_ref: string | null;
};

/** Money a provider received for a funding that had already ended: it is owed to someone, never dropped. */
export type LateMoneyKind = "paid_after_terminal" | "paid_twice";

export type FundingDecision =
  | { kind: "credit"; amount_minor: number; overpaid_minor: number; provider_ref: string }
  /** `refund_due`: the facts' charge took money that is owed back (recorded for that charge). */
  | { kind: "fail"; reason: string; provider_ref: string | null; refund_due: boolean }
  | { kind: "attempt_failed"; provider_ref: string }
  /** A successful charge for the wrong amount or currency while the checkout is open: owed back; the funding stays open. */
  | { kind: "mismatch"; reason: string; provider_ref: string }
  | { kind: "wait" }
  | { kind: "escalate"; reason: string }
  /** A successful charge the funding did not take (it had ended, or another charge credited it): recorded for operators. */
  | {
      kind: "late_money";
      anomaly: LateMoneyKind;
      provider_ref: string;
      amount_minor: number | null;
      currency: string;
    }
  | { kind: "ignore"; reason: "already_terminal" | "reference_mismatch" | "charge_accounted" };

/**
 * The funding rule (invariant 4): credit only when the provider says the charge
 * succeeded, for this tx_ref, in this currency, for at least the expected
 * amount. An overpayment credits the expected amount and records the excess
 * for a refund, as Flutterwave advises.
 *
 * A failed card attempt does not end the funding while its checkout is open:
 * the customer may retry on the same page, and a later success must still be
 * credited. Nor does a payment for too little or in another currency: anyone
 * who knows a tx_ref can pay against it, so such a payment is recorded as owed
 * back (for its own charge) and the owner can still pay in full. Only the
 * deadline (checkout session plus grace) ends a funding that never succeeded.
 *
 * Every successful charge is money received and is accounted for once: the
 * one that credits, one owed back, or, when it arrives after the funding ended
 * (a bank transfer that lands late, a second payment), a `late_money`
 * decision that records it for operators. `charge_accounted` says the wallet
 * already recorded this charge (a repeat of the same facts changes nothing).
 */
export function decideFunding(
  tx: FundingView,
  facts: ProviderFacts,
  now_ms: number,
  charge_accounted = false,
): FundingDecision {
  const succeeded_here =
    facts.found && facts.outcome === "succeeded" && facts.our_ref === tx.tx_ref;
  if (tx.status !== "PENDING") {
    if (!succeeded_here) return { kind: "ignore", reason: "already_terminal" };
    if (facts.provider_ref === tx.provider_ref)
      return { kind: "ignore", reason: "already_terminal" };
    if (charge_accounted) return { kind: "ignore", reason: "charge_accounted" };
    return {
      kind: "late_money",
      anomaly: tx.status === "SUCCESS" ? "paid_twice" : "paid_after_terminal",
      provider_ref: facts.provider_ref,
      amount_minor: facts.amount_minor,
      currency: facts.currency,
    };
  }
  const past_deadline = now_ms >= tx.deadline_at_ms;
  const expired = (reason: string): FundingDecision =>
    past_deadline
      ? { kind: "fail", reason, provider_ref: null, refund_due: false }
      : { kind: "wait" };
  if (!facts.found) return expired("No payment was made before the checkout expired.");
  if (facts.our_ref !== tx.tx_ref) return { kind: "ignore", reason: "reference_mismatch" };
  switch (facts.outcome) {
    case "succeeded": {
      // A charge already owed back (a mismatch seen before) cannot credit now.
      if (charge_accounted)
        return expired("No payment in full was made before the checkout expired.");
      const mismatch =
        facts.currency !== tx.currency
          ? `Paid in ${facts.currency}, expected ${tx.currency}; the payment will be refunded.`
          : facts.amount_minor !== null && facts.amount_minor < tx.amount_minor
            ? `Underpaid: received ${facts.amount_minor} kobo, expected ${tx.amount_minor}; the payment will be refunded.`
            : null;
      if (mismatch) {
        return past_deadline
          ? { kind: "fail", reason: mismatch, provider_ref: facts.provider_ref, refund_due: true }
          : { kind: "mismatch", reason: mismatch, provider_ref: facts.provider_ref };
      }
      if (facts.amount_minor === null) {
        return {
          kind: "escalate",
          reason: "The provider reports a successful payment without its amount; check it by hand.",
        };
      }
      return {
        kind: "credit",
        amount_minor: tx.amount_minor,
        overpaid_minor: facts.amount_minor - tx.amount_minor,
        provider_ref: facts.provider_ref,
      };
    }
    case "failed":
    case "reversed":
      return past_deadline
        ? {
            kind: "fail",
            reason: "The payment failed.",
            provider_ref: facts.provider_ref,
            refund_due: false,
          }
        : { kind: "attempt_failed", provider_ref: facts.provider_ref };
    case "pending":
      return past_deadline
        ? {
            kind: "escalate",
            reason: "Provider still reports the payment as pending after the deadline.",
          }
        : { kind: "wait" };
    default: {
      const unreachable: never = facts.outcome;
      throw new Error(`unhandled charge outcome ${String(unreachable)}`);
    }
  }
}

/**
 * The order in which a funding's charges are applied when several are seen at
 * once (the reconciler's list): a payment in full first, so a smaller payment
 * seen beside it (owed back either way) can never end the funding that the
 * payment in full paid; then the other successful charges; then the rest.
 * Stable within each group.
 */
export function chargesInOrder(
  tx: Pick<FundingView, "tx_ref" | "amount_minor" | "currency">,
  charges: readonly FoundFacts[],
): FoundFacts[] {
  const rank = (f: FoundFacts) =>
    f.outcome !== "succeeded" || f.our_ref !== tx.tx_ref
      ? 2
      : f.currency === tx.currency && f.amount_minor !== null && f.amount_minor >= tx.amount_minor
        ? 0
        : 1;
  return charges
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}

export function fundingDeadline(
  created_at_ms: number,
  session_minutes: number,
  link_expiry_minutes: number,
): number {
  return (
    created_at_ms +
    Math.max(session_minutes, link_expiry_minutes) * 60_000 +
    FUNDING_DEADLINE_GRACE_MS
  );
}

/**
 * The re-verification schedule of each type. Purchases start tight: a
 * network operator answers within seconds or minutes, and a user waits for
 * their airtime; fundings and withdrawals take longer by nature.
 */
const BACKOFF_S: Record<TxType, readonly number[]> = {
  FUND: RECONCILE_BACKOFF_S,
  WITHDRAW: RECONCILE_BACKOFF_S,
  AIRTIME: PURCHASE_REQUERY_BACKOFF_S,
  DATA: PURCHASE_REQUERY_BACKOFF_S,
  ELECTRICITY: PURCHASE_REQUERY_BACKOFF_S,
  TV: PURCHASE_REQUERY_BACKOFF_S,
  REFUND: REFUND_REQUERY_BACKOFF_S,
  // An adjustment ends in the storage transaction that creates it: never checked.
  ADJUSTMENT: RECONCILE_BACKOFF_S,
};

/** When to re-verify next, after `attempts` checks so far (the last step repeats). */
export function nextCheckDelayMs(attempts: number, type: TxType = "FUND"): number {
  const steps = BACKOFF_S[type];
  const index = Math.min(Math.max(attempts, 0), steps.length - 1);
  return steps[index] * 1000;
}

/**
 * The reconciler's next check: the backoff delay, but never later than the
 * transaction's deadline while the deadline is ahead (so the decision at the
 * deadline is taken on time, not up to an hour late).
 */
export function nextCheckAt(
  now_ms: number,
  attempts: number,
  deadline_at_ms: number,
  type: TxType = "FUND",
): number {
  const next = now_ms + nextCheckDelayMs(attempts, type);
  return now_ms < deadline_at_ms ? Math.min(next, deadline_at_ms) : next;
}
