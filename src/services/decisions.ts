/**
 * Decide a held payment (a withdrawal or a purchase) that is escalated or
 * overdue: ask the provider first; a definite answer wins, is applied through
 * the Wallet's settle path like any webhook, and the operator's decision is
 * refused (`provider_answered`, a 409 for the route that calls this).
 * Otherwise (not found, still pending, no answer) the decision is applied by
 * the Wallet (src/durable/wallet/decisions.ts), with its evidence.
 *
 * Plain values in and out, so the operator proposal flow (four eyes) can call
 * it when a proposal is approved, with the version the proposer saw.
 */
import type { TransactionRecord } from "../domain/records";
import type { FoundFacts } from "../domain/transactions";
import {
  decisionRefusal,
  type DecisionRefusal,
  type HeldDecisionInput,
} from "../durable/wallet/decisions";
import { requireConfig } from "../lib/config";
import { log } from "../lib/log";
import { lookupNow, lookupsFor } from "../providers";

export type DecideHeldPaymentInput = HeldDecisionInput & { user_id: string };

export type DecideHeldPaymentResult =
  /** The provider answered definitely at the requery: its answer was applied, the decision was not. */
  | { outcome: "provider_answered"; tx: TransactionRecord }
  | { outcome: "decided"; tx: TransactionRecord }
  | { outcome: "refused"; reason: DecisionRefusal };

/** A provider answer about this very transaction that settles it one way or the other. */
function definite(tx_ref: string, facts: FoundFacts): boolean {
  return (
    (facts.our_ref === null || facts.our_ref === tx_ref) &&
    (facts.outcome === "succeeded" || facts.outcome === "failed" || facts.outcome === "reversed")
  );
}

export async function decideHeldPayment(
  env: Env,
  ctx: ExecutionContext,
  input: DecideHeldPaymentInput,
): Promise<DecideHeldPaymentResult> {
  const { user_id, ...decision } = input;
  const wallet = env.WALLET.getByName(user_id);
  const tx = await wallet.getTransaction(input.tx_ref);
  // The cheap refusals first, so a refused decision never costs a provider call.
  // The Wallet checks them again in the transaction that would move the money.
  const early = decisionRefusal(tx, input.expected_version, Date.now());
  if (early || !tx) return { outcome: "refused", reason: early ?? "not_found" };

  const lookups = lookupsFor(tx.type, { env, ctx, config: requireConfig(env) });
  // No provider configured for this type: nothing can answer, the operator decides.
  const answer = lookups ? await lookupNow(lookups, tx) : null;
  const answers = answer?.ok ? answer.value.filter((facts) => definite(tx.tx_ref, facts)) : [];
  if (answers.length > 0) {
    // Applied like a webhook: the flow table and the held-payment rule decide what
    // it does (post, void, reverse; an answer for another amount is escalated,
    // never posted). Either way the operator's decision is not applied over it.
    for (const facts of answers)
      await wallet.applyProviderFacts(tx.tx_ref, facts, { via: "requery" });
    const now = await wallet.getTransaction(tx.tx_ref);
    log.info("operator decision refused: the provider answered", {
      tx_ref: tx.tx_ref,
      operator_id: input.operator_id,
      outcomes: answers.map((facts) => facts.outcome),
    });
    return { outcome: "provider_answered", tx: now ?? tx };
  }
  if (answer && !answer.ok && answer.kind !== "not_found")
    log.warn("operator decision: the provider gave no answer at the requery", {
      tx_ref: tx.tx_ref,
      kind: answer.kind,
    });

  // An answer that arrives after the requery (a webhook, a callback, the
  // reconciler) is applied by the Wallet before or after this call, never
  // during it (the object runs one call at a time). Before: it bumped the
  // version, and the Wallet refuses `version_changed` in the same storage
  // transaction that would move the money. After: the decision is final, and
  // the answer is recorded as an anomaly (`paid_after_void`,
  // `failed_after_post`), never a second movement.
  const result = await wallet.decideHeld(decision);
  if (result.outcome === "refused") return { outcome: "refused", reason: result.reason };
  log.info("held payment decided by an operator", {
    tx_ref: tx.tx_ref,
    decision: input.decision,
    operator_id: input.operator_id,
    user_id,
  });
  return { outcome: "decided", tx: result.tx };
}
