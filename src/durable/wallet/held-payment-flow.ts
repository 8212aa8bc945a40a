/**
 * The held payment (HELD_PAYMENT_FLOW in src/domain/flows.ts), provider-neutral:
 *
 *   open (hold) -> claim (compare-and-set) -> submitted | submit_unknown
 *     -> settled (post the hold) | failed (void it) | escalated at the deadline
 *
 * Withdrawals and purchases use it. Each function is one storage
 * transaction through the store's write path; the provider is called by the
 * Worker between `claim` and `recordSubmitted`, never from here.
 *
 * Invariant 3: the hold is placed in the same transaction that checked
 * `available`; it is posted only on the provider's success and voided only on
 * its failure (or when the submission provably never happened: `abandon`).
 */
import { decideHeldPayment } from "../../domain/held-payment-rule";
import type { TransactionRecord, TxDetails } from "../../domain/records";
import { nextCheckDelayMs, type ProviderFacts, type TxType } from "../../domain/transactions";
import {
  advanceOrStay,
  escalate,
  ignore,
  openChecks,
  type HeldOpenOutcome,
  type SettleOutcome,
  type WalletCore,
} from "./core";
import type { IdempotencyInput } from "./idempotency";
import type { TierPolicy } from "../../domain/tiers";
import { checkDay, policyFor } from "./tier-rules";

export type HeldType = Exclude<TxType, "FUND" | "REFUND" | "ADJUSTMENT">;

export type OpenHeldInput = {
  tx_ref: string;
  type: HeldType;
  amount_minor: number;
  fee_minor: number;
  currency: string;
  details: TxDetails;
  deadline_at_ms: number;
  /** A provider reference chosen before the call (a purchase's request id), stored with the hold. */
  provider_ref?: string;
  idempotency?: IdempotencyInput;
  /** Refuse to open while `max` payments of these types, started within the window, ended failed or refused. */
  failure_bound?: FailureBound;
  /**
   * Also claim the submission (hold_placed -> submitting) in the same storage
   * transaction, so the caller may call the provider: the hold and the claim
   * cost one wallet call. Only a newly opened payment is claimed; a resumed
   * one is claimed by `claim` as before.
   */
  claim?: boolean;
  /** The KYC tier policy (the service passes its configuration's); absent: the object's own. */
  tiers?: TierPolicy;
};

export type FailureBound = { types: HeldType[]; max: number; window_ms: number };

/** How a failure reads to the person whose money it was. */
const WORDS: Record<HeldType, { failed: string; abandoned: string; reversed: string }> = {
  WITHDRAW: {
    failed: "The bank transfer failed",
    abandoned:
      "The withdrawal request was interrupted before it reached the bank; nothing was sent.",
    reversed: "The bank transfer was reversed",
  },
  AIRTIME: {
    failed: "The airtime purchase failed",
    abandoned: "The purchase was interrupted before it reached the network; nothing was sent.",
    reversed: "The airtime purchase was reversed; the money is back in your wallet",
  },
  DATA: {
    failed: "The data purchase failed",
    abandoned: "The purchase was interrupted before it reached the network; nothing was sent.",
    reversed: "The data purchase was reversed; the money is back in your wallet",
  },
  ELECTRICITY: {
    failed: "The electricity payment failed",
    abandoned:
      "The payment was interrupted before it reached the distribution company; nothing was sent.",
    reversed: "The electricity payment was reversed; the money is back in your wallet",
  },
  TV: {
    failed: "The TV subscription failed",
    abandoned: "The payment was interrupted before it reached the TV provider; nothing was sent.",
    reversed: "The TV subscription was reversed; the money is back in your wallet",
  },
};

export function failureReason(type: HeldType, message: string | null): string {
  return message ? `${WORDS[type].failed}: ${message}` : `${WORDS[type].failed}.`;
}

/**
 * Open a PENDING held payment and place its hold, in one storage transaction:
 * the key check, the wallet checks, `available >= amount + fee`, the insert and
 * the hold. Concurrent requests are serialised by the object, so the sum of
 * holds can never exceed the balance (invariant 2).
 */
export function openHeld(core: WalletCore, input: OpenHeldInput, now_ms: number): HeldOpenOutcome {
  return core.storage.transactionSync((): HeldOpenOutcome => {
    const refused = openChecks(core, input.idempotency, now_ms, "debit");
    if (refused) return refused;
    const failures = input.failure_bound
      ? failureBoundReached(core, input.failure_bound, now_ms)
      : null;
    if (failures) return failures;
    const required_minor = input.amount_minor + input.fee_minor;
    // KYC first (an unverified wallet hears what to do), then the balance, then the tier's day,
    // checked here and counted by the hold below, in one transaction.
    const tier = checkDay(core, policyFor(core, input.tiers, now_ms), required_minor, now_ms);
    if (tier?.outcome === "kyc_required") return tier;
    const available_minor = core.ledger.availableMinor();
    if (available_minor < required_minor)
      return { outcome: "insufficient_funds", available_minor, required_minor };
    if (tier) return tier;
    const tx = core.store.create(
      {
        tx_ref: input.tx_ref,
        type: input.type,
        amount_minor: input.amount_minor,
        fee_minor: input.fee_minor,
        currency: input.currency,
        details: input.details,
        deadline_at_ms: input.deadline_at_ms,
        next_check_at_ms: now_ms + nextCheckDelayMs(0, input.type),
        provider_ref: input.provider_ref ?? null,
      },
      now_ms,
    );
    if (input.idempotency) core.keys.insert(input.idempotency, input.tx_ref, now_ms);
    if (!input.claim) return { outcome: "opened", tx };
    // Both versions go to the feed, so watchers still see hold_placed, then submitting.
    const claimed = core.store.write(
      input.tx_ref,
      { expect_stage: "hold_placed", stage: "submitting" },
      now_ms,
    );
    if (!claimed.ok)
      throw new Error(`could not claim ${input.tx_ref} it had just opened: ${claimed.refusal}`);
    return { outcome: "opened", tx: claimed.tx };
  });
}

/**
 * The failure bound, read in the open's transaction: the `max` most recent
 * payments of those types started within the window that the provider failed
 * or refused, leaving out refusals recorded as our own trouble (an anomaly:
 * a low float, our credentials), which are no fault of the payer. When there
 * are `max`, the bound lifts once the last of them leaves the window.
 * Bounded: LIMIT `max`, over the created_at index.
 */
function failureBoundReached(
  core: WalletCore,
  bound: FailureBound,
  now_ms: number,
): HeldOpenOutcome | null {
  const since_ms = now_ms - bound.window_ms;
  const recent = core.storage.sql
    .exec<{ created_at_ms: number }>(
      `SELECT t.created_at_ms FROM transactions t
        WHERE t.created_at_ms > ? AND t.type IN (${bound.types.map(() => "?").join(", ")}) AND t.stage IN ('failed', 'refused')
          AND NOT EXISTS (SELECT 1 FROM anomalies a WHERE a.tx_ref = t.tx_ref)
        ORDER BY t.created_at_ms DESC LIMIT ?`,
      since_ms,
      ...bound.types,
      bound.max,
    )
    .toArray();
  if (recent.length < bound.max) return null;
  const lifts_at_ms = recent[bound.max - 1].created_at_ms + bound.window_ms;
  return {
    outcome: "too_many_failures",
    limit: bound.max,
    window_ms: bound.window_ms,
    retry_after_s: Math.max(1, Math.ceil((lifts_at_ms - now_ms) / 1000)),
  };
}

/**
 * Claim the right to submit (compare-and-set hold_placed -> submitting).
 * Exactly one caller ever wins for a tx_ref, so a payment is never submitted
 * twice; a loser answers with the transaction as it stands.
 */
export function claim(core: WalletCore, tx_ref: string, now_ms: number): boolean {
  return core.storage.transactionSync(
    () => core.store.write(tx_ref, { expect_stage: "hold_placed", stage: "submitting" }, now_ms).ok,
  );
}

/** The provider accepted the payment (it is queued or processing there). */
export function recordSubmitted(
  core: WalletCore,
  tx_ref: string,
  provider_ref: string,
  now_ms: number,
): TransactionRecord | null {
  return core.storage.transactionSync(
    () => advanceOrStay(core, tx_ref, { stage: "submitted", set: { provider_ref } }, now_ms).tx,
  );
}

/** The submission's outcome is unknown: keep the hold, look it up by reference soon. */
export function markSubmitUnknown(
  core: WalletCore,
  tx_ref: string,
  now_ms: number,
): TransactionRecord | null {
  return core.storage.transactionSync(() => {
    const tx = core.store.get(tx_ref);
    if (!tx) return null;
    return advanceOrStay(
      core,
      tx_ref,
      { stage: "submit_unknown", set: { next_check_at_ms: now_ms + nextCheckDelayMs(0, tx.type) } },
      now_ms,
    ).tx;
  });
}

/** Void a held payment whose submission provably never happened (it never left hold_placed). */
export function abandon(core: WalletCore, tx_ref: string, now_ms: number): boolean {
  return core.storage.transactionSync(() => {
    const tx = core.store.get(tx_ref);
    if (!tx || tx.type === "FUND" || tx.type === "REFUND" || tx.type === "ADJUSTMENT") return false;
    return core.store.write(
      tx_ref,
      {
        expect_stage: "hold_placed",
        stage: "abandoned",
        set: { failure_reason: WORDS[tx.type].abandoned },
      },
      now_ms,
    ).ok;
  });
}

/**
 * Apply what the provider says about a held payment (call inside a storage
 * transaction). Safe any number of times in any order: the hold is posted or
 * voided at most once, because the flow table refuses every later move.
 */
export function applyHeldFacts(
  core: WalletCore,
  tx: TransactionRecord & { type: HeldType },
  facts: ProviderFacts,
  now_ms: number,
): SettleOutcome {
  const tx_ref = tx.tx_ref;
  const decision = decideHeldPayment(tx, facts, now_ms);
  switch (decision.kind) {
    case "post": {
      const posted = core.store.write(
        tx_ref,
        {
          stage: "settled",
          set: {
            provider_ref: decision.provider_ref,
            details: facts.found ? facts.details : undefined,
          },
        },
        now_ms,
      );
      return posted.ok
        ? { outcome: "debited", tx: posted.tx }
        : { outcome: "unchanged", tx, reason: posted.refusal };
    }
    case "reverse": {
      const reason = decision.message
        ? `${WORDS[tx.type].reversed}: ${decision.message}`
        : `${WORDS[tx.type].reversed}.`;
      const reversed = core.store.write(
        tx_ref,
        {
          stage: "reversed",
          set: {
            failure_reason: reason,
            provider_ref: decision.provider_ref,
            details: facts.found ? facts.details : undefined,
          },
        },
        now_ms,
      );
      if (reversed.ok) return { outcome: "reversed", tx: reversed.tx };
      // A withdrawal cannot be reversed in its flow: after an operator posted it, that is money we debited that the provider gave back.
      if (tx.stage === "posted_by_operator") return failedAfterPost(core, tx, facts, now_ms);
      return { outcome: "unchanged", tx, reason: reversed.refusal };
    }
    case "void": {
      const voided = core.store.write(
        tx_ref,
        {
          stage: "failed",
          set: {
            failure_reason: failureReason(tx.type, decision.message),
            provider_ref: decision.provider_ref,
            details: facts.found ? facts.details : undefined,
          },
        },
        now_ms,
      );
      return voided.ok
        ? { outcome: "failed", tx: voided.tx }
        : { outcome: "unchanged", tx, reason: voided.refusal };
    }
    case "escalate":
      return escalate(core, tx, decision.reason, now_ms);
    case "wait": {
      let current: TransactionRecord = tx;
      if (facts.found && !tx.provider_ref) {
        const written = advanceOrStay(
          core,
          tx_ref,
          { stage: "submitted", set: { provider_ref: facts.provider_ref } },
          now_ms,
        );
        if (written.tx) current = written.tx;
      }
      return { outcome: "unchanged", tx: current, reason: "pending" };
    }
    case "ignore":
      if (
        tx.stage === "posted_by_operator" &&
        facts.found &&
        facts.outcome === "failed" &&
        facts.our_ref === tx.tx_ref
      )
        return failedAfterPost(core, tx, facts, now_ms);
      // A success after an operator voided is `paid_after_void`, as after any void.
      return ignore(
        core,
        tx,
        decision,
        {
          kind: "paid_after_void",
          detail: `the provider reports payment ${facts.found ? facts.provider_ref : "?"} as successful after its hold was released; recover the funds or debit by hand`,
          ref: facts.found ? facts.provider_ref : "",
        },
        now_ms,
      );
    default: {
      const unreachable: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * The provider says failed (or reversed) a payment an operator posted: we
 * debited money the provider did not pay out. Recorded for operators, once,
 * naming the provider's reference; never a second money movement here (an
 * operator's adjustment gives it back, with its own evidence).
 */
function failedAfterPost(
  core: WalletCore,
  tx: TransactionRecord,
  facts: ProviderFacts,
  now_ms: number,
): SettleOutcome {
  const ref = facts.found ? facts.provider_ref : "";
  return ignore(
    core,
    tx,
    { reason: "already_terminal", late_success: true },
    {
      kind: "failed_after_post",
      detail: `the provider reports payment ${ref || "?"} as ${facts.found ? facts.outcome : "unknown"} after an operator posted it; the debit may be owed back`,
      ref,
    },
    now_ms,
  );
}
