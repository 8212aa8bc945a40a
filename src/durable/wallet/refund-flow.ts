/**
 * The refund flow (REFUND, src/domain/flows.ts): money a funding's charge took
 * that the wallet never credited (an overpayment's excess, a mismatched or
 * late payment: an anomaly naming that charge) goes back through the
 * provider's refund, or, at the operator's choice, is credited to the wallet.
 *
 * - The intent is stored before any call (`refund_requested`), bounded in the
 *   same storage transaction: the anomaly exists, the amount is at most what
 *   the charge owes (src/domain/refund-rule.ts, from the charge as the
 *   provider holds it now), and at most one REFUND per anomaly has not
 *   failed (`anomaly_settlements`). The same proposal asking again gets the
 *   same transaction back, never a second one.
 * - One caller claims the submission (`refund_sending`, compare-and-set), so
 *   the provider is asked at most once per transaction; an answer lost to a
 *   timeout is `refund_unknown`, found again by the reconciler, never re-sent.
 * - A refund moves no wallet money. The credit does (`credited_to_wallet`,
 *   effect credit) and is allowed only from `refund_requested`: a refund
 *   sent can never also be credited.
 * - A refund that completes, or a credit, closes its anomaly: the settlement
 *   row records when, and the anomaly's next version (resolved) goes to the
 *   feed in the same transaction, so the operator index hears it. A failed
 *   refund leaves the anomaly open and frees it for another settlement.
 */
import { BALANCE_MAX_MINOR, REFUND_ESCALATE_AFTER_MS } from "../../domain/limits";
import type { TransactionRecord } from "../../domain/records";
import { owedOnCharge } from "../../domain/refund-rule";
import { nextCheckAt, type FoundFacts, type ProviderFacts } from "../../domain/transactions";
import { one } from "../../lib/sqlite";
import { appendChange } from "./feed";
import { escalate, type SettleOutcome, type WalletCore } from "./core";
import { anomalyKey } from "./trail";

export type AnomalyId = { tx_ref: string; kind: string; ref: string };

export type SettleAnomalyInput = {
  /** The new REFUND transaction's reference (the caller makes it; unused when one exists). */
  tx_ref: string;
  anomaly: AnomalyId;
  how: "refund" | "credit";
  /** The charge as the provider holds it now. */
  charge: FoundFacts;
  /** Less than owed for a partial refund; omitted: all that is owed. */
  amount_minor?: number;
  operator_id: string;
  proposal_id: string;
};

export type SettleAnomalyOutcome =
  | { outcome: "opened"; tx: TransactionRecord }
  /** The same proposal asked before: its transaction, unchanged. */
  | { outcome: "existing"; tx: TransactionRecord }
  | { outcome: "already_refunded"; tx: TransactionRecord }
  | { outcome: "not_found" }
  | { outcome: "nothing_owed" }
  | { outcome: "amount_too_large"; owed_minor: number }
  /** A credit in another currency than the wallet's, or past its balance limit. */
  | { outcome: "not_creditable"; reason: string };

export type Settlement = { refund_tx_ref: string; resolved_at_ms: number | null };

export function settlementOf(core: WalletCore, a: AnomalyId): Settlement | null {
  return one(
    core.storage.sql.exec<Settlement>(
      "SELECT refund_tx_ref, resolved_at_ms FROM anomaly_settlements WHERE tx_ref = ? AND kind = ? AND ref = ?",
      a.tx_ref,
      a.kind,
      a.ref,
    ),
  );
}

function anomalyRow(
  core: WalletCore,
  a: AnomalyId,
): { detail: string; created_at_ms: number } | null {
  return one(
    core.storage.sql.exec<{ detail: string; created_at_ms: number }>(
      "SELECT detail, created_at_ms FROM anomalies WHERE tx_ref = ? AND kind = ? AND ref = ?",
      a.tx_ref,
      a.kind,
      a.ref,
    ),
  );
}

/** The anomaly a REFUND transaction settles, from its details. */
function anomalyOf(tx: TransactionRecord): AnomalyId {
  return {
    tx_ref: String(tx.details.anomaly_tx_ref),
    kind: String(tx.details.anomaly_kind),
    ref: String(tx.details.charge_ref),
  };
}

/** Close the anomaly a completed settlement settled: once, with its next version in the feed. */
function resolve(core: WalletCore, tx: TransactionRecord, now_ms: number): void {
  const a = anomalyOf(tx);
  const closed = core.storage.sql
    .exec(
      "UPDATE anomaly_settlements SET resolved_at_ms = ? WHERE tx_ref = ? AND kind = ? AND ref = ? AND refund_tx_ref = ? AND resolved_at_ms IS NULL RETURNING tx_ref",
      now_ms,
      a.tx_ref,
      a.kind,
      a.ref,
      tx.tx_ref,
    )
    .toArray();
  const row = anomalyRow(core, a);
  if (closed.length === 0 || !row) return;
  appendChange(
    core.storage.sql,
    "anomaly",
    anomalyKey(a.tx_ref, a.kind, a.ref),
    2,
    {
      ...a,
      detail: row.detail,
      owner_user_id: core.ledger.profile()?.user_id ?? null,
      created_at_ms: row.created_at_ms,
      resolved_at_ms: now_ms,
    },
    now_ms,
  );
}

/** Open a refund (or credit the wallet instead), bounded as the file's header says. One storage transaction. */
export function settleAnomaly(
  core: WalletCore,
  input: SettleAnomalyInput,
  now_ms: number,
): SettleAnomalyOutcome {
  return core.storage.transactionSync((): SettleAnomalyOutcome => {
    const a = input.anomaly;
    const funding = core.store.get(a.tx_ref);
    if (a.ref === "" || !anomalyRow(core, a) || !funding || funding.type !== "FUND")
      return { outcome: "not_found" };
    const settled = settlementOf(core, a);
    const previous = settled ? core.store.get(settled.refund_tx_ref) : null;
    if (previous) {
      if (previous.details.proposal_id === input.proposal_id && previous.details.how === input.how)
        return { outcome: "existing", tx: previous };
      if (previous.status !== "FAILED") return { outcome: "already_refunded", tx: previous };
    }
    if (input.charge.provider_ref !== a.ref) return { outcome: "nothing_owed" };
    const owed = owedOnCharge(a.kind, funding, input.charge);
    if (!owed) return { outcome: "nothing_owed" };
    const amount = input.amount_minor ?? owed.amount_minor;
    if (!Number.isSafeInteger(amount) || amount <= 0) return { outcome: "nothing_owed" };
    if (amount > owed.amount_minor)
      return { outcome: "amount_too_large", owed_minor: owed.amount_minor };
    if (input.how === "credit") {
      const wallet = core.ledger.wallet();
      if (!wallet || wallet.currency !== owed.currency)
        return { outcome: "not_creditable", reason: "the charge's currency is not the wallet's" };
      if (wallet.balance_minor + amount > BALANCE_MAX_MINOR)
        return { outcome: "not_creditable", reason: "the wallet's balance limit" };
    }
    core.store.create(
      {
        tx_ref: input.tx_ref,
        type: "REFUND",
        amount_minor: amount,
        fee_minor: 0,
        currency: owed.currency,
        details: {
          anomaly_tx_ref: a.tx_ref,
          anomaly_kind: a.kind,
          charge_ref: a.ref,
          owed_minor: owed.amount_minor,
          how: input.how,
          operator_id: input.operator_id,
          proposal_id: input.proposal_id,
        },
        deadline_at_ms: now_ms + REFUND_ESCALATE_AFTER_MS,
        // A credit ends in this same transaction (a terminal stage clears it).
        next_check_at_ms: nextCheckAt(now_ms, 0, now_ms + REFUND_ESCALATE_AFTER_MS, "REFUND"),
      },
      now_ms,
    );
    core.storage.sql.exec(
      `INSERT INTO anomaly_settlements (tx_ref, kind, ref, refund_tx_ref, resolved_at_ms) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (tx_ref, kind, ref) DO UPDATE SET refund_tx_ref = excluded.refund_tx_ref, resolved_at_ms = NULL`,
      a.tx_ref,
      a.kind,
      a.ref,
      input.tx_ref,
    );
    if (input.how === "credit") {
      const credited = core.store.write(input.tx_ref, { stage: "credited_to_wallet" }, now_ms);
      if (!credited.ok) throw new Error(`credit ${input.tx_ref}: ${credited.refusal}`);
      resolve(core, credited.tx, now_ms);
      return { outcome: "opened", tx: credited.tx };
    }
    const tx = core.store.get(input.tx_ref);
    if (!tx) throw new Error(`refund ${input.tx_ref} vanished`);
    return { outcome: "opened", tx };
  });
}

/** Compare-and-set refund_requested -> refund_sending: true for exactly one caller. */
export function claimRefund(core: WalletCore, tx_ref: string, now_ms: number): boolean {
  return core.storage.transactionSync(
    () =>
      core.store.write(
        tx_ref,
        { expect_stage: "refund_requested", stage: "refund_sending" },
        now_ms,
      ).ok,
  );
}

/** What the create call answered, in our words. */
export type RefundAnswer =
  | { kind: "accepted"; refund_id: string }
  | { kind: "refused"; reason: string }
  | { kind: "unknown" };

/** Record the create call's answer (only from refund_sending). */
export function recordRefundAnswer(
  core: WalletCore,
  tx_ref: string,
  answer: RefundAnswer,
  now_ms: number,
): TransactionRecord | null {
  return core.storage.transactionSync(() => {
    const change =
      answer.kind === "accepted"
        ? { stage: "refund_submitted" as const, set: { provider_ref: answer.refund_id } }
        : answer.kind === "refused"
          ? { stage: "refused" as const, set: { failure_reason: answer.reason } }
          : { stage: "refund_unknown" as const };
    return core.store.write(tx_ref, { expect_stage: "refund_sending", ...change }, now_ms).tx;
  });
}

/**
 * What the provider says about a refund (call inside a storage transaction):
 * completed -> refunded (the anomaly closes), failed -> refund_failed (it
 * stays open), pending -> recorded. Facts about another refund (another id
 * than the one stored, or a note without our reference) change nothing.
 */
export function applyRefundFacts(
  core: WalletCore,
  tx: TransactionRecord,
  facts: ProviderFacts,
  now_ms: number,
): SettleOutcome {
  if (tx.status !== "PENDING") return { outcome: "unchanged", tx, reason: "already_terminal" };
  // Not sent yet: only its claimer (or the reconciler's abandon) moves it.
  if (tx.stage === "refund_requested") return { outcome: "unchanged", tx, reason: "not_sent" };
  if (!facts.found) {
    if (now_ms >= tx.deadline_at_ms)
      return escalate(
        core,
        tx,
        "The provider does not know this refund past its deadline.",
        now_ms,
      );
    return { outcome: "unchanged", tx, reason: "not_found" };
  }
  const ours = tx.provider_ref
    ? facts.provider_ref === tx.provider_ref
    : facts.our_ref === tx.tx_ref;
  if (!ours) return { outcome: "unchanged", tx, reason: "reference_mismatch" };
  const set = { provider_ref: facts.provider_ref };
  if (facts.outcome === "succeeded") {
    const written = core.store.write(tx.tx_ref, { stage: "refunded", set }, now_ms);
    if (!written.ok) return { outcome: "unchanged", tx, reason: written.refusal };
    resolve(core, written.tx, now_ms);
    // The money left (the provider's balance, not the wallet's): reported as the payment's end.
    return { outcome: "debited", tx: written.tx };
  }
  if (facts.outcome === "failed" || facts.outcome === "reversed") {
    const written = core.store.write(
      tx.tx_ref,
      {
        stage: "refund_failed",
        set: { ...set, failure_reason: "The provider could not complete the refund." },
      },
      now_ms,
    );
    if (!written.ok) return { outcome: "unchanged", tx, reason: written.refusal };
    core.trail.anomaly(
      tx.tx_ref,
      "refund_failed",
      `refund ${facts.provider_ref} of charge ${String(tx.details.charge_ref)} failed`,
      now_ms,
    );
    return { outcome: "failed", tx: written.tx };
  }
  const written = core.store.write(
    tx.tx_ref,
    { stage: tx.stage === "refund_submitted" ? undefined : "refund_submitted", set },
    now_ms,
  );
  return { outcome: "unchanged", tx: written.tx ?? tx, reason: "pending" };
}

/**
 * A refund never claimed (the caller stopped between storing and claiming,
 * IDEMPOTENCY_IN_FLIGHT_LOCK_MS ago) is provably unsent: it ends
 * `refund_abandoned`, which frees its anomaly. For the reconciler.
 */
export function abandonRefund(core: WalletCore, tx_ref: string, now_ms: number): boolean {
  return core.storage.transactionSync(() => {
    const tx = core.store.get(tx_ref);
    if (!tx || tx.type !== "REFUND") return false;
    return core.store.write(
      tx_ref,
      {
        expect_stage: "refund_requested",
        stage: "refund_abandoned",
        set: { failure_reason: "Interrupted before sending; nothing was refunded." },
      },
      now_ms,
    ).ok;
  });
}
