/**
 * Funding, the credit-side flow (FUNDING_FLOW in src/domain/flows.ts):
 * pending -> the provider's verified facts -> credit once.
 *
 * Every function here runs its whole change in one storage transaction through
 * the store's write path; none calls the network (the Worker and the queue
 * consumer talk to the provider, then hand its answer here).
 */
import { decideFunding, nextCheckDelayMs, type ProviderFacts } from "../../domain/transactions";
import type { TransactionRecord } from "../../domain/records";
import { BALANCE_MAX_MINOR, CALLBACK_VERIFY_INTERVAL_MS } from "../../domain/limits";
import { one } from "../../lib/sqlite";
import {
  advanceOrStay,
  escalate,
  openChecks,
  type OpenOutcome,
  type SettleOutcome,
  type WalletCore,
} from "./core";
import type { IdempotencyInput } from "./idempotency";
import type { TierPolicy } from "../../domain/tiers";
import { checkFunding, policyFor } from "./tier-rules";

export type OpenFundingInput = {
  tx_ref: string;
  amount_minor: number;
  currency: string;
  deadline_at_ms: number;
  /** Open PENDING fundings allowed before this one (the route passes config's FUND_PENDING_MAX). */
  pending_max: number;
  idempotency?: IdempotencyInput;
  /** The KYC tier policy (the service passes its configuration's); absent: the object's own. */
  tiers?: TierPolicy;
};

/** Open a PENDING funding: the key check, the wallet checks and the insert, in one transaction. */
export function openFunding(
  core: WalletCore,
  input: OpenFundingInput,
  now_ms: number,
): OpenOutcome {
  return core.storage.transactionSync((): OpenOutcome => {
    // A key's replay or resume comes first: it opens nothing new, so the limit does not apply.
    const refused = openChecks(core, input.idempotency, now_ms, "credit");
    if (refused) return refused;
    // Counted in the same transaction as the insert, so concurrent opens cannot overshoot.
    const pending = core.store.countPending("FUND");
    if (pending >= input.pending_max)
      return { outcome: "too_many_pending", pending, limit: input.pending_max };
    // The tier's day and cap, in the same transaction: no checkout the rules would refuse.
    const tier = checkFunding(
      core,
      policyFor(core, input.tiers, now_ms),
      input.amount_minor,
      now_ms,
    );
    if (tier) return tier;
    const tx = core.store.create(
      {
        tx_ref: input.tx_ref,
        type: "FUND",
        amount_minor: input.amount_minor,
        fee_minor: 0,
        currency: input.currency,
        details: {},
        deadline_at_ms: input.deadline_at_ms,
        next_check_at_ms: now_ms + nextCheckDelayMs(0),
      },
      now_ms,
    );
    if (input.idempotency) core.keys.insert(input.idempotency, input.tx_ref, now_ms);
    return { outcome: "opened", tx };
  });
}

/**
 * The callback page wants the provider asked about this funding. Granted for a
 * PENDING funding at most once per CALLBACK_VERIFY_INTERVAL_MS (checked and
 * recorded in one transaction, so concurrent page loads get one grant); the
 * page shows `tx` either way. Bookkeeping only: the transaction is not written.
 */
export function claimCallbackVerify(
  core: WalletCore,
  tx_ref: string,
  now_ms: number,
): { tx: TransactionRecord | null; verify: boolean } {
  return core.storage.transactionSync(() => {
    const sql = core.storage.sql;
    // Rows older than the interval decide nothing: deleting them keeps the table to the recent few.
    sql.exec(
      "DELETE FROM callback_verifies WHERE requested_at_ms <= ?",
      now_ms - CALLBACK_VERIFY_INTERVAL_MS,
    );
    const tx = core.store.get(tx_ref);
    if (!tx || tx.type !== "FUND" || tx.status !== "PENDING") return { tx, verify: false };
    if (one(sql.exec("SELECT 1 AS recent FROM callback_verifies WHERE tx_ref = ?", tx_ref)))
      return { tx, verify: false };
    sql.exec(
      "INSERT INTO callback_verifies (tx_ref, requested_at_ms) VALUES (?, ?)",
      tx_ref,
      now_ms,
    );
    return { tx, verify: true };
  });
}

/** The provider gave us a checkout link. */
export function attachPaymentLink(
  core: WalletCore,
  tx_ref: string,
  payment_link: string,
  now_ms: number,
): TransactionRecord | null {
  return core.storage.transactionSync(() => {
    const tx = core.store.get(tx_ref);
    if (!tx || tx.type !== "FUND") return tx;
    const written = advanceOrStay(
      core,
      tx_ref,
      { stage: "awaiting_payment", set: { payment_link } },
      now_ms,
    );
    return written.tx;
  });
}

/** The provider may or may not have created the link: stay pending, check soon. Never a failure on a guess. */
export function markLinkUnknown(
  core: WalletCore,
  tx_ref: string,
  now_ms: number,
): TransactionRecord | null {
  return core.storage.transactionSync(() => {
    const tx = core.store.get(tx_ref);
    if (!tx || tx.type !== "FUND") return tx;
    return advanceOrStay(
      core,
      tx_ref,
      { stage: "link_unknown", set: { next_check_at_ms: now_ms + nextCheckDelayMs(0) } },
      now_ms,
    ).tx;
  });
}

/**
 * Apply what the provider says about a funding's charge. Safe to call any
 * number of times, in any order, from webhooks, the reconciler or the callback
 * page: only the first terminal decision changes the transaction (the flow
 * table refuses every later one), and every successful charge is accounted
 * for once, by its provider id: the one that credits, or an anomaly that says
 * whose money it is (owed back, overpaid, or received after the funding ended).
 */
export function applyFundingFacts(
  core: WalletCore,
  tx: TransactionRecord,
  facts: ProviderFacts,
  now_ms: number,
): SettleOutcome {
  const tx_ref = tx.tx_ref;
  const accounted = facts.found && core.trail.accountedCharge(tx_ref, facts.provider_ref);
  const decision = decideFunding(tx, facts, now_ms, accounted);
  const charge = facts.found ? facts.provider_ref : "";
  switch (decision.kind) {
    case "credit": {
      const wallet = core.ledger.wallet();
      if (!wallet) throw new Error("funding without a wallet");
      if (wallet.balance_minor + decision.amount_minor > BALANCE_MAX_MINOR) {
        const failed = core.store.write(
          tx_ref,
          {
            stage: "failed",
            set: {
              failure_reason: "Wallet balance limit reached; the payment will be refunded.",
              provider_ref: decision.provider_ref,
            },
          },
          now_ms,
        );
        if (!failed.ok) throw new Error(`funding ${tx_ref}: ${failed.refusal}`);
        core.trail.anomaly(
          tx_ref,
          "refund_due",
          `balance limit; charge ${charge} paid ${facts.found ? facts.amount_minor : "?"} kobo`,
          now_ms,
          charge,
        );
        return { outcome: "failed", tx: failed.tx };
      }
      const credited = core.store.write(
        tx_ref,
        { stage: "settled", set: { provider_ref: decision.provider_ref } },
        now_ms,
      );
      if (!credited.ok) throw new Error(`funding ${tx_ref}: ${credited.refusal}`);
      if (decision.overpaid_minor > 0)
        core.trail.anomaly(
          tx_ref,
          "overpaid",
          `charge ${charge}: excess ${decision.overpaid_minor} kobo to refund`,
          now_ms,
          charge,
        );
      return { outcome: "credited", tx: credited.tx };
    }
    case "fail": {
      const failed = core.store.write(
        tx_ref,
        {
          stage: "failed",
          set: { failure_reason: decision.reason, provider_ref: decision.provider_ref },
        },
        now_ms,
      );
      if (!failed.ok) throw new Error(`funding ${tx_ref}: ${failed.refusal}`);
      if (decision.refund_due)
        core.trail.anomaly(
          tx_ref,
          "refund_due",
          `charge ${charge}: ${decision.reason}`,
          now_ms,
          charge,
        );
      return { outcome: "failed", tx: failed.tx };
    }
    case "mismatch": {
      // Owed back, and the checkout stays open: the owner can still pay in full.
      core.trail.anomaly(
        tx_ref,
        "refund_due",
        `charge ${charge}: ${decision.reason}`,
        now_ms,
        charge,
      );
      const written = advanceOrStay(core, tx_ref, { stage: "payment_mismatch" }, now_ms);
      return { outcome: "unchanged", tx: written.tx ?? tx, reason: "payment_mismatch" };
    }
    case "attempt_failed": {
      const written = core.store.write(
        tx_ref,
        { stage: "attempt_failed", set: { provider_ref: decision.provider_ref } },
        now_ms,
      );
      return {
        outcome: "unchanged",
        tx: written.tx ?? tx,
        reason: written.ok ? "attempt_failed" : written.refusal,
      };
    }
    case "escalate":
      return escalate(core, tx, decision.reason, now_ms);
    case "wait":
      return { outcome: "unchanged", tx, reason: "pending" };
    case "late_money": {
      const amount =
        decision.amount_minor === null
          ? "an unstated amount"
          : `${decision.amount_minor} kobo ${decision.currency}`;
      const detail =
        decision.anomaly === "paid_twice"
          ? `charge ${decision.provider_ref}: a second successful payment of ${amount} for a funding already credited; refund it or credit it by hand`
          : `charge ${decision.provider_ref}: a successful payment of ${amount} after the funding ended ${tx.status}; refund it or credit it by hand`;
      core.trail.anomaly(tx_ref, decision.anomaly, detail, now_ms, decision.provider_ref);
      return { outcome: "unchanged", tx, reason: decision.anomaly };
    }
    case "ignore":
      return { outcome: "unchanged", tx, reason: decision.reason };
    default: {
      const unreachable: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
    }
  }
}
