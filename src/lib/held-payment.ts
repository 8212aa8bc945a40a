/**
 * The route side of a held payment (withdrawals today, purchases next), one
 * orchestration for every flow that moves money out through a provider:
 *
 *   1. answer early from the Idempotency-Key if it already has an answer;
 *   2. prepare (resolve the account, price the product): nothing is held if
 *      this fails;
 *   3. one wallet transaction: active? available >= amount + fee? place the
 *      hold, record the PENDING transaction (invariant 3: hold first);
 *   4. claim the submission (compare-and-set, so one tx_ref is submitted at
 *      most once, ever), then start it at the provider:
 *        accepted -> stays PENDING (or settles at once if the answer is final);
 *                    the provider's event or the reconciler finishes it
 *        refused  -> the hold is voided at once, FAILED, 422
 *        unknown  -> stays PENDING and held; looked up, never re-submitted
 */
import type { HeldType } from "../durable/wallet/held";
import type { HeldPaymentPort } from "../providers/port";
import type { IdempotencyInput, TransactionRecord } from "../durable/wallet";
import { AppError, errors } from "./errors";
import type { AppContext } from "./http";
import { newTxRef } from "./ids";
import { earlyAnswer, storeAnswer, type Answer } from "./idempotency";
import { log } from "./log";
import { transactionView } from "./views";

export type HeldAnswer = Answer & { tx_ref?: string };

export type Prepared<S> = {
  amount_minor: number;
  fee_minor: number;
  currency: string;
  details: TransactionRecord["details"];
  /** What the provider's `start` needs besides our tx_ref. */
  start: Omit<S, "tx_ref">;
};

export type HeldPaymentSpec<S extends { tx_ref: string }> = {
  user_id: string;
  type: HeldType;
  idempotency_key?: string;
  fingerprint?: string;
  /** Work before anything is held; throws a problem to refuse. */
  prepare: () => Promise<Prepared<S>>;
  port: HeldPaymentPort<S>;
  /** How a definite refusal by the provider is answered. */
  refusal: { code: string; title: string; reason: (provider_message: string) => string };
  insufficient_detail: string;
};

export async function runHeldPayment<S extends { tx_ref: string }>(c: AppContext, spec: HeldPaymentSpec<S>): Promise<HeldAnswer> {
  const wallet = c.env.WALLET.getByName(spec.user_id);
  const idempotency: IdempotencyInput | undefined = spec.idempotency_key && spec.fingerprint ? { key: spec.idempotency_key, fingerprint: spec.fingerprint } : undefined;
  if (idempotency) {
    const peeked = await wallet.peekIdempotency(idempotency);
    const early = peeked ? earlyAnswer(peeked) : null;
    if (early) return early;
  }

  const prepared = await spec.prepare();
  const opened = await wallet.openHeld({
    tx_ref: newTxRef(spec.type, spec.user_id),
    type: spec.type,
    amount_minor: prepared.amount_minor,
    fee_minor: prepared.fee_minor,
    currency: prepared.currency,
    details: prepared.details,
    idempotency,
  });
  if (opened.outcome === "insufficient_funds") {
    throw errors.unprocessable("insufficient_funds", spec.insufficient_detail, { available_minor: opened.available_minor, required_minor: opened.required_minor });
  }
  const early = earlyAnswer(opened);
  if (early) return early;
  if (opened.outcome !== "opened" && opened.outcome !== "resume") throw new Error(`unexpected open outcome ${opened.outcome}`);
  const tx = opened.tx;
  const finish = (answer: HeldAnswer) => storeAnswer(c, spec.user_id, spec.idempotency_key, answer).then(() => answer);

  // Only the caller that moves the stage from hold_placed to submitting may call
  // the provider. A resumed key finds it already claimed and answers as it stands.
  if (!(await wallet.claimSubmission(tx.tx_ref))) {
    const current = (await wallet.getTransaction(tx.tx_ref)) ?? tx;
    return finish({ status: 202, body: transactionView(current), replayed: opened.outcome === "resume", tx_ref: tx.tx_ref });
  }

  const started = await spec.port.start({ ...prepared.start, tx_ref: tx.tx_ref } as S);
  if (started.ok) {
    let current = await wallet.recordSubmitted(tx.tx_ref, started.value.provider_ref);
    if (started.value.outcome !== "pending") {
      await wallet.applyProviderFacts(tx.tx_ref, started.value, { via: "create" });
      current = await wallet.getTransaction(tx.tx_ref);
    }
    return finish({ status: 202, body: transactionView(current ?? tx), replayed: false, tx_ref: tx.tx_ref });
  }
  if (started.kind === "refused" || started.kind === "not_found") {
    const reason = spec.refusal.reason(started.message);
    const failed = await wallet.refuse(tx.tx_ref, reason);
    const problem = new AppError({
      status: 422,
      code: spec.refusal.code,
      title: spec.refusal.title,
      detail: `${reason}. Nothing was taken from your wallet.`,
      extra: { tx_ref: tx.tx_ref, transaction_status: failed?.status ?? "FAILED" },
    }).toProblem(c.var.request_id);
    return finish({ status: 422, body: problem, replayed: false });
  }
  // Unknown: the payment may exist. Keep the hold; the reconciler finds out by reference.
  const pending = await wallet.markSubmitUnknown(tx.tx_ref);
  log.warn("held payment outcome unknown; holding and reconciling", { request_id: c.var.request_id, tx_ref: tx.tx_ref, reason: started.reason });
  return finish({ status: 202, body: transactionView(pending ?? tx), replayed: false, tx_ref: tx.tx_ref });
}
