/**
 * Money a funding's charge took that the wallet never credited (an anomaly
 * `overpaid`, `refund_due`, `paid_twice` or `paid_after_terminal` naming that
 * charge) goes back: refunded through the provider (`startRefund`), or, at
 * the operator's choice, credited to the wallet (`creditExcess`). Once per
 * anomaly, never both (src/durable/wallet/refund-flow.ts).
 *
 * Called with plain values by whatever approved it (an operator's proposal):
 * no HTTP here. Each answers the REFUND transaction, or a named refusal.
 *
 * startRefund, in order:
 *   1. the same proposal asking again resumes its own transaction (never a
 *      second refund); another settlement that has not failed refuses;
 *   2. the charge is read from the provider now: what is owed comes from what
 *      it says was paid, not from the anomaly's text;
 *   3. the Wallet stores the intent, bounded (amount <= owed), before any call;
 *   4. one caller claims the submission; only the claimer calls the provider,
 *      once; a lost answer is `refund_unknown`, found by the reconciler;
 *   5. an accepted refund's status is read once at once (a refund that
 *      completes at once closes its anomaly now); the rest is the reconciler's.
 */
import type { TransactionRecord } from "../domain/records";
import { REFUND_COMMENTS_MAX_CHARS } from "../domain/limits";
import type { AnomalyId, SettleAnomalyOutcome } from "../durable/wallet/refund-flow";
import { requireConfig } from "../lib/config";
import { newTxRef } from "../lib/ids";
import { log } from "../lib/log";
import { refundPort } from "../providers/index";
import { refundFacts, type RefundPort } from "../providers/port";

export type SettleRequest = {
  user_id: string;
  /** The anomaly as the wallet lists it: the funding's tx_ref, its kind, the charge it names. */
  anomaly: AnomalyId;
  /** A partial refund or credit; omitted: all that is owed. */
  amount_minor?: number;
  operator_id: string;
  proposal_id: string;
  /** The note sent with a refund (at most REFUND_COMMENTS_MAX_CHARS). */
  comments?: string;
};

export type RefundRefusal =
  | { ok: false; refusal: "not_found" }
  | { ok: false; refusal: "nothing_owed" }
  | { ok: false; refusal: "amount_too_large"; owed_minor: number }
  | { ok: false; refusal: "already_refunded"; tx: TransactionRecord }
  | { ok: false; refusal: "provider_refused"; tx: TransactionRecord | null; message: string }
  /** The provider could not say what the charge holds now; nothing was stored: ask again later. */
  | { ok: false; refusal: "provider_unavailable" }
  /** A credit in another currency than the wallet's, or past its balance limit. */
  | { ok: false; refusal: "not_creditable"; reason: string };

export type SettleAnswer = { ok: true; tx: TransactionRecord } | RefundRefusal;

function walletOf(env: Env, user_id: string) {
  return env.WALLET.getByName(user_id);
}

/**
 * Steps 1-3: the proposal's own transaction when it asked before, else the
 * charge read now and the intent stored, bounded.
 */
async function settle(
  env: Env,
  port: RefundPort,
  request: SettleRequest,
  how: "refund" | "credit",
): Promise<SettleAnswer & { resumed?: boolean }> {
  const wallet = walletOf(env, request.user_id);
  const settled = await wallet.anomalySettlement(request.anomaly);
  const previous = settled ? await wallet.getTransaction(settled.refund_tx_ref) : null;
  if (previous) {
    if (previous.details.proposal_id === request.proposal_id && previous.details.how === how)
      return { ok: true, tx: previous, resumed: true };
    if (previous.status !== "FAILED")
      return { ok: false, refusal: "already_refunded", tx: previous };
  }
  if (request.anomaly.ref === "") return { ok: false, refusal: "not_found" };
  const charge = await port.charge(request.anomaly.ref);
  if (!charge.ok) {
    if (charge.kind === "unknown") return { ok: false, refusal: "provider_unavailable" };
    return { ok: false, refusal: "nothing_owed" };
  }
  const outcome: SettleAnomalyOutcome = await wallet.settleAnomaly({
    tx_ref: newTxRef("REFUND", request.user_id),
    anomaly: request.anomaly,
    how,
    charge: charge.value,
    amount_minor: request.amount_minor,
    operator_id: request.operator_id,
    proposal_id: request.proposal_id,
  });
  switch (outcome.outcome) {
    case "opened":
      return { ok: true, tx: outcome.tx };
    case "existing":
      return { ok: true, tx: outcome.tx, resumed: true };
    case "already_refunded":
      return { ok: false, refusal: "already_refunded", tx: outcome.tx };
    case "amount_too_large":
      return { ok: false, refusal: "amount_too_large", owed_minor: outcome.owed_minor };
    case "not_creditable":
      return { ok: false, refusal: "not_creditable", reason: outcome.reason };
    case "not_found":
    case "nothing_owed":
      return { ok: false, refusal: outcome.outcome };
    default: {
      const unreachable: never = outcome;
      throw new Error(`unhandled settlement ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Refund what an anomaly's charge is owed, through the provider that took it. */
export async function startRefund(
  env: Env,
  ctx: ExecutionContext,
  request: SettleRequest,
): Promise<SettleAnswer> {
  const port = refundPort({ env, ctx, config: requireConfig(env) });
  const opened = await settle(env, port, request, "refund");
  if (!opened.ok) return opened;
  const wallet = walletOf(env, request.user_id);
  const tx_ref = opened.tx.tx_ref;
  // Only the one caller that moves refund_requested -> refund_sending calls the provider.
  if (opened.tx.stage !== "refund_requested" || !(await wallet.claimRefund(tx_ref))) {
    const now = await wallet.getTransaction(tx_ref);
    return { ok: true, tx: now ?? opened.tx };
  }
  const comments = (request.comments ?? `Refund of money owed on ${request.anomaly.tx_ref}`).slice(
    0,
    REFUND_COMMENTS_MAX_CHARS,
  );
  const sent = await port.refund({
    provider_tx_id: request.anomaly.ref,
    amount_minor: opened.tx.amount_minor,
    currency: opened.tx.currency,
    comments,
    reference: tx_ref,
  });
  if (!sent.ok) {
    if (sent.kind === "unknown") {
      const tx = await wallet.recordRefundAnswer(tx_ref, { kind: "unknown" });
      log.warn("refund answer lost; the reconciler will find it", { tx_ref, reason: sent.reason });
      return { ok: true, tx: tx ?? opened.tx };
    }
    const tx = await wallet.recordRefundAnswer(tx_ref, { kind: "refused", reason: sent.message });
    log.warn("refund refused by the provider", { tx_ref, kind: sent.kind });
    return { ok: false, refusal: "provider_refused", tx, message: sent.message };
  }
  await wallet.recordRefundAnswer(tx_ref, { kind: "accepted", refund_id: sent.value.refund_id });
  log.info("refund sent", {
    tx_ref,
    anomaly: `${request.anomaly.tx_ref}/${request.anomaly.kind}`,
    operator_id: request.operator_id,
    proposal_id: request.proposal_id,
  });
  const status = await port.refundStatus(sent.value.refund_id);
  if (status.ok) {
    await wallet.applyProviderFacts(
      tx_ref,
      refundFacts(status.value, opened.tx.currency),
      { via: "create" },
      "REFUND",
    );
  }
  const tx = await wallet.getTransaction(tx_ref);
  return { ok: true, tx: tx ?? opened.tx };
}

/** Credit what an anomaly's charge is owed to the wallet instead of refunding it; closes the anomaly at once. */
export async function creditExcess(
  env: Env,
  ctx: ExecutionContext,
  request: SettleRequest,
): Promise<SettleAnswer> {
  const port = refundPort({ env, ctx, config: requireConfig(env) });
  const answer = await settle(env, port, request, "credit");
  if (answer.ok && !answer.resumed)
    log.info("money owed credited to the wallet", {
      tx_ref: answer.tx.tx_ref,
      anomaly: `${request.anomaly.tx_ref}/${request.anomaly.kind}`,
      operator_id: request.operator_id,
      proposal_id: request.proposal_id,
    });
  if (!answer.ok) return answer;
  return { ok: true, tx: answer.tx };
}
