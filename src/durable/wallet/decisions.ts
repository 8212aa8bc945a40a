/**
 * An operator's decision on a held payment the provider cannot answer for:
 * post it (the provider's reference as evidence) or void it (the provider's
 * word as evidence). One storage transaction through the store's one write
 * path, so the stage's money effect, the version bump and the change on the
 * feed happen together, and the flow table (posted_by_operator,
 * voided_by_operator in src/domain/flows.ts) is the only way in: no status is
 * ever written by hand.
 *
 * Never over a definite provider answer: the caller (src/services/decisions.ts)
 * asks the provider first, and the decision is bound to the version the
 * operator saw. Any answer applied since (a webhook, a callback, the
 * reconciler) bumped the version, so `version_changed` refuses it here, in the
 * same transaction that would move the money.
 */
import type { TransactionRecord } from "../../domain/records";
import type { HeldType } from "./held-payment-flow";
import type { WalletCore } from "./core";
import { DECISION_EVIDENCE_MAX_CHARS, DECISION_ID_MAX_CHARS } from "./limits";

export type HeldDecisionInput = {
  tx_ref: string;
  decision: "post" | "void";
  /** The provider's reference (post) or its word (void), as the operator recorded it. */
  evidence: string;
  operator_id: string;
  /** The transaction's version the operator decided on. */
  expected_version: number;
  /** The provider's own reference for the payment, when the operator has it. */
  reference?: string;
};

export type DecisionRefusal =
  | "not_found"
  /** Already final (SUCCESS or FAILED). */
  | "not_pending"
  /** The transaction changed since the operator saw it (the provider may have answered). */
  | "version_changed"
  /** Neither escalated nor past its deadline, or never submitted (still hold_placed: the reconciler voids it). */
  | "not_decidable"
  /** Evidence or operator id missing or too long. */
  | "invalid_input";

export type DecisionOutcome =
  | { outcome: "decided"; tx: TransactionRecord }
  | { outcome: "refused"; reason: DecisionRefusal; tx: TransactionRecord | null };

/** The words a person reads when an operator voided a payment. */
const VOIDED_REASON: Record<HeldType, string> = {
  WITHDRAW: "The bank transfer failed; our team confirmed it with the bank and released the hold.",
  AIRTIME:
    "The airtime purchase failed; our team confirmed it with the network and released your money.",
  DATA: "The data purchase failed; our team confirmed it with the network and released your money.",
  ELECTRICITY:
    "The electricity payment failed; our team confirmed it with the distribution company and released your money.",
  TV: "The TV subscription failed; our team confirmed it with the provider and released your money.",
};

/** Only held payments (withdrawals, purchases) are decided; any other type is "not found" here. */
const isHeld = (type: TransactionRecord["type"]): type is HeldType =>
  type === "WITHDRAW" ||
  type === "AIRTIME" ||
  type === "DATA" ||
  type === "ELECTRICITY" ||
  type === "TV";

function validText(value: string, max: number): boolean {
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= max;
}

/**
 * May an operator decide this transaction now, at this version? Null: yes.
 * Pure over the record, so the service can refuse before calling the provider
 * and the write below checks it again in its own transaction.
 */
export function decisionRefusal(
  tx: TransactionRecord | null,
  expected_version: number,
  now_ms: number,
): DecisionRefusal | null {
  if (!tx || !isHeld(tx.type)) return "not_found";
  if (tx.status !== "PENDING") return "not_pending";
  if (tx.version !== expected_version) return "version_changed";
  if (tx.stage === "hold_placed") return "not_decidable";
  if (tx.escalated_at_ms === null && now_ms < tx.deadline_at_ms) return "not_decidable";
  return null;
}

export function decideHeld(
  core: WalletCore,
  input: HeldDecisionInput,
  now_ms: number,
): DecisionOutcome {
  return core.storage.transactionSync((): DecisionOutcome => {
    const tx = core.store.get(input.tx_ref);
    if (
      !validText(input.evidence, DECISION_EVIDENCE_MAX_CHARS) ||
      !validText(input.operator_id, DECISION_ID_MAX_CHARS) ||
      (input.reference !== undefined && !validText(input.reference, DECISION_ID_MAX_CHARS)) ||
      (input.decision !== "post" && input.decision !== "void")
    )
      return { outcome: "refused", reason: "invalid_input", tx };
    const refusal = decisionRefusal(tx, input.expected_version, now_ms);
    if (refusal || !tx || !isHeld(tx.type))
      return { outcome: "refused", reason: refusal ?? "not_found", tx };
    const reference = input.reference?.trim();
    const details = {
      operator_decision: input.decision,
      operator_id: input.operator_id.trim(),
      operator_evidence: input.evidence.trim(),
      operator_reference: reference ?? null,
      operator_decided_at_ms: now_ms,
    };
    const written = core.store.write(
      tx.tx_ref,
      input.decision === "post"
        ? {
            stage: "posted_by_operator",
            // A reference the provider already gave us stays: the operator's is kept in the details.
            set: { details, provider_ref: tx.provider_ref ?? reference ?? null },
          }
        : {
            stage: "voided_by_operator",
            set: { details, failure_reason: VOIDED_REASON[tx.type] },
          },
      now_ms,
    );
    if (!written.ok)
      // The flow table refused (a stage it does not list): nothing was written.
      return { outcome: "refused", reason: "not_decidable", tx: written.tx };
    return { outcome: "decided", tx: written.tx };
  });
}
