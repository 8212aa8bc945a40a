/**
 * Proposing the acts that need a provider (four eyes): deciding a held
 * payment, and refunding or crediting money an anomaly says is owed. Nothing
 * is called at the provider here; what can never be done is refused now, by
 * the same named rules the execution checks again (src/durable/wallet/
 * decisions.ts `decisionRefusal`, the Wallet's anomalies and settlements).
 * The proposal binds the transaction's version: if the provider answers
 * before approval, the approval is refused (`transaction_changed`).
 *
 * The payload shapes are the executors' (./act-executors.ts); the routes and
 * the operator console propose through these two functions.
 */
import type { Proposal } from "../domain/acts";
import { isRefundable, owedOnCharge } from "../domain/refund-rule";
import { requireConfig } from "../lib/config";
import { AppError } from "../lib/errors";
import { refundPort } from "../providers/index";
import { decisionRefusal } from "../durable/wallet/decisions";
import type { ProposeOutcome } from "../durable/wallet/object";
import type { ActingOperator } from "./operator-acts";
import type { DecidePayload, SettlePayload } from "./act-executors";

export type ProposeAnswer =
  | { ok: true; proposal: Proposal }
  | { ok: false; refusal: ProposeRefusal; owed_minor?: number };

export type ProposeRefusal =
  /** No such wallet. */
  | "no_wallet"
  /** No held payment (withdrawal or purchase) of that reference; or no open anomaly of that name. */
  | "not_found"
  /** The payment is already final. */
  | "not_pending"
  /** Neither escalated nor overdue, or never sent: the system still follows it. */
  | "not_decidable"
  /** The anomaly was already refunded or credited (or is being). */
  | "already_refunded"
  /** The provider's charge shows nothing owed back. */
  | "nothing_owed"
  /** More than the provider's charge shows is owed. */
  | "amount_too_large"
  /** The provider could not say what the charge holds now. */
  | "provider_unavailable"
  | "role_required";

export async function proposeDecision(
  env: Env,
  actor: ActingOperator,
  input: { user_id: string; tx_ref: string; reason: string } & DecidePayload,
): Promise<ProposeAnswer> {
  const wallet = env.WALLET.getByName(input.user_id);
  if (!(await wallet.profile())) return { ok: false, refusal: "no_wallet" };
  const tx = await wallet.getTransaction(input.tx_ref);
  const refusal = tx ? decisionRefusal(tx, tx.version, Date.now()) : "not_found";
  if (refusal || !tx) {
    // version_changed cannot happen against the version just read; invalid_input is the schema's.
    const named = refusal === "not_pending" || refusal === "not_decidable" ? refusal : "not_found";
    return { ok: false, refusal: named };
  }
  const payload: DecidePayload = {
    decision: input.decision,
    evidence: input.evidence,
    ...(input.reference === undefined ? {} : { reference: input.reference }),
  };
  const out = await wallet.proposeAct(actor, {
    kind: "decide",
    tx_ref: tx.tx_ref,
    amount_minor: tx.amount_minor,
    payload,
    reason: input.reason,
  });
  return proposed(out);
}

/**
 * The charge is read from the provider now (a read, never a movement), so
 * the proposal shows the approver the amount it will settle, and nothing
 * owed or more than owed is refused before anyone approves. The executor
 * reads it again at approval: what is owed then is what counts.
 */
export async function proposeSettlement(
  env: Env,
  ctx: ExecutionContext,
  actor: ActingOperator,
  input: { user_id: string; how: "refund" | "credit"; reason: string } & SettlePayload,
): Promise<ProposeAnswer> {
  const wallet = env.WALLET.getByName(input.user_id);
  if (!(await wallet.profile())) return { ok: false, refusal: "no_wallet" };
  const { anomaly } = input;
  const open = (await wallet.anomalies()).some(
    (a) => a.tx_ref === anomaly.tx_ref && a.kind === anomaly.kind && a.ref === anomaly.ref,
  );
  if (!open || anomaly.ref === "" || !isRefundable(anomaly.kind))
    return { ok: false, refusal: "not_found" };
  const settlement = await wallet.anomalySettlement(anomaly);
  if (settlement) {
    const previous = await wallet.getTransaction(settlement.refund_tx_ref);
    if (previous && previous.status !== "FAILED") return { ok: false, refusal: "already_refunded" };
  }
  const funding = await wallet.getTransaction(anomaly.tx_ref);
  if (!funding) return { ok: false, refusal: "not_found" };
  const charge = await refundPort({ env, ctx, config: requireConfig(env) }).charge(anomaly.ref);
  if (!charge.ok)
    return {
      ok: false,
      refusal: charge.kind === "unknown" ? "provider_unavailable" : "nothing_owed",
    };
  const owed = owedOnCharge(anomaly.kind, funding, charge.value);
  if (!owed) return { ok: false, refusal: "nothing_owed" };
  if (input.amount_minor !== undefined && input.amount_minor > owed.amount_minor)
    return { ok: false, refusal: "amount_too_large", owed_minor: owed.amount_minor };
  const payload: SettlePayload = {
    anomaly: { tx_ref: anomaly.tx_ref, kind: anomaly.kind, ref: anomaly.ref },
    ...(input.amount_minor === undefined ? {} : { amount_minor: input.amount_minor }),
    ...(input.comments === undefined ? {} : { comments: input.comments }),
  };
  const out = await wallet.proposeAct(actor, {
    kind: input.how === "refund" ? "refund" : "credit_excess",
    tx_ref: anomaly.tx_ref,
    amount_minor: input.amount_minor ?? owed.amount_minor,
    payload,
    reason: input.reason,
  });
  return proposed(out);
}

function proposed(out: ProposeOutcome): ProposeAnswer {
  switch (out.outcome) {
    case "proposed":
      return { ok: true, proposal: out.proposal };
    case "role_required":
      return { ok: false, refusal: "role_required" };
    case "no_wallet":
      return { ok: false, refusal: "no_wallet" };
    case "unknown_tx":
      return { ok: false, refusal: "not_found" };
  }
}

/** A proposal refused by name, as a problem (the JSON routes and the console say the same). */
const REFUSED: Record<Exclude<ProposeRefusal, "no_wallet" | "not_found">, AppError> = {
  not_pending: new AppError({
    status: 409,
    code: "not_pending",
    title: "No longer pending",
    detail: "The payment is already final; there is nothing to decide.",
  }),
  not_decidable: new AppError({
    status: 409,
    code: "not_decidable",
    title: "Not decidable",
    detail:
      "The payment is neither escalated nor overdue (or was never sent): the system still follows it.",
  }),
  already_refunded: new AppError({
    status: 409,
    code: "already_refunded",
    title: "Already settled",
    detail: "This anomaly was already refunded or credited.",
  }),
  nothing_owed: new AppError({
    status: 422,
    code: "nothing_owed",
    title: "Nothing owed",
    detail: "The provider's charge shows nothing owed back.",
  }),
  amount_too_large: new AppError({
    status: 422,
    code: "amount_too_large",
    title: "More than owed",
    detail: "The amount is more than the provider's charge shows is owed.",
  }),
  provider_unavailable: new AppError({
    status: 503,
    code: "provider_unavailable",
    title: "Provider unavailable",
    detail: "The provider could not say what the charge holds now; propose again later.",
  }),
  role_required: new AppError({
    status: 403,
    code: "role_required",
    title: "Role required",
    detail: "Proposing needs the operator role.",
  }),
};

export function proposeRefusalProblem(
  refusal: Exclude<ProposeRefusal, "no_wallet" | "not_found">,
  owed_minor?: number,
): AppError {
  const refused = REFUSED[refusal];
  if (owed_minor === undefined) return refused;
  return new AppError({
    status: refused.status,
    code: refused.code,
    title: refused.title,
    detail: refused.detail,
    extra: { owed_minor },
  });
}
