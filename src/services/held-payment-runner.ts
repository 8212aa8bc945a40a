/**
 * The route side of a held payment (withdrawals and purchases), one
 * orchestration for every flow that moves money out through a provider:
 *
 *   1. answer early from the Idempotency-Key if it already has an answer;
 *   2. prepare (resolve the account, price the product): nothing is held if
 *      this fails;
 *   3. one wallet transaction: active? available >= amount + fee? place the
 *      hold, record the PENDING transaction (invariant 3: hold first);
 *   4. anything the provider's answers will need to find us (a purchase's
 *      request_id -> tx_ref index), then claim the submission
 *      (compare-and-set, so one tx_ref is submitted at most once, ever),
 *      then start it at the provider:
 *        accepted -> stays PENDING (or settles at once if the answer is final);
 *                    the provider's event or the reconciler finishes it
 *        refused  -> the hold is voided at once, FAILED, 422
 *        unknown  -> stays PENDING and held; looked up, never re-submitted
 */
import { OPERATIONS_OBJECT } from "../durable/operations/object";
import type { FailureBound, HeldType } from "../durable/wallet/held-payment-flow";
import type { HeldPaymentPort } from "../providers/port";
import type { IdempotencyInput, TransactionRecord } from "../durable/wallet/object";
import { AppError, errors, sentences } from "../lib/errors";
import { isFormRequest, type AppContext } from "../lib/http";
import { newTxRef } from "../lib/ids";
import { earlyAnswer, respond, storeAnswer, type Answer } from "./idempotency";
import { WATCH_TICKET_TTL_S } from "../lib/limits";
import { issueWatchTicket } from "../lib/tokens";
import { publicApiBase } from "../lib/urls";
import { log } from "../lib/log";
import { transactionView } from "./views";

/** A provider refusal that is our trouble (float, credentials): operators hear of it globally, readiness shows it. */
async function reportProviderProblem(c: AppContext, type: HeldType, anomaly: string, code: string | undefined): Promise<void> {
  try {
    await c.env.OPERATIONS.getByName(OPERATIONS_OBJECT).reportProviderProblem({ provider: type === "WITHDRAW" ? "flutterwave" : "vtpass", kind: anomaly, detail: `code ${code ?? "?"}` });
  } catch (error) {
    log.error("could not report a provider problem", { request_id: c.var.request_id, anomaly, error });
  }
}

export type HeldAnswer = Answer & { tx_ref?: string };

export type Prepared<S> = {
  amount_minor: number;
  fee_minor: number;
  currency: string;
  details: TransactionRecord["details"];
  /** A provider reference chosen now and stored with the hold, before any call (a purchase's request_id). */
  provider_ref?: string;
  /**
   * What the provider's `start` is called with, built from the transaction as
   * opened: a retry that resumes a transaction uses what was stored the first
   * time (its tx_ref, its provider reference), never new values.
   */
  start: (tx: TransactionRecord) => S;
};

export type HeldPaymentSpec<S extends { tx_ref: string }> = {
  user_id: string;
  type: HeldType;
  idempotency_key?: string;
  fingerprint?: string;
  /** Work before anything is held; throws a problem to refuse. */
  prepare: () => Promise<Prepared<S>>;
  port: HeldPaymentPort<S>;
  /** Runs after the hold and before the claim; throwing leaves an unclaimed hold that the reconciler voids. */
  before_claim?: (tx: TransactionRecord) => Promise<void>;
  /** The body of a 202 (the transaction, as `transactionView` shows it, unless the flow shows more). */
  view?: (tx: TransactionRecord) => unknown;
  /** How a definite refusal by the provider is answered. */
  refusal: { code: string; title: string; reason: (provider_message: string) => string };
  insufficient_detail: string;
  /**
   * Failed payments a wallet may gather before new ones wait (checked by the
   * wallet in the open's transaction), and the 429 problem's code and words.
   */
  failures?: { bound: FailureBound; code: string; detail: (limit: number, window_ms: number) => string };
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
    provider_ref: prepared.provider_ref,
    idempotency,
    failure_bound: spec.failures?.bound,
  });
  if (opened.outcome === "insufficient_funds") {
    throw errors.unprocessable("insufficient_funds", spec.insufficient_detail, { available_minor: opened.available_minor, required_minor: opened.required_minor });
  }
  if (opened.outcome === "too_many_failures") {
    // Not stored under the Idempotency-Key: like any 429, it says "later", not "no".
    throw new AppError({
      status: 429,
      code: spec.failures?.code ?? "too_many_failures",
      title: "Too many failed attempts",
      detail: spec.failures?.detail(opened.limit, opened.window_ms),
      headers: { "retry-after": String(opened.retry_after_s) },
      extra: { limit: opened.limit, retry_after_s: opened.retry_after_s },
    });
  }
  const early = earlyAnswer(opened);
  if (early) return early;
  if (opened.outcome !== "opened" && opened.outcome !== "resume") throw new Error(`unexpected open outcome ${opened.outcome}`);
  const tx = opened.tx;
  const view = spec.view ?? transactionView;
  const finish = (answer: HeldAnswer) => storeAnswer(c, spec.user_id, spec.idempotency_key, answer).then(() => answer);

  if (spec.before_claim && tx.stage === "hold_placed") await spec.before_claim(tx);
  // Only the caller that moves the stage from hold_placed to submitting may call
  // the provider. A resumed key finds it already claimed and answers as it stands.
  if (!(await wallet.claimSubmission(tx.tx_ref))) {
    const current = (await wallet.getTransaction(tx.tx_ref)) ?? tx;
    return finish({ status: 202, body: view(current), replayed: opened.outcome === "resume", tx_ref: tx.tx_ref });
  }

  const started = await spec.port.start(prepared.start(tx));
  if (started.ok) {
    let current = await wallet.recordSubmitted(tx.tx_ref, started.value.provider_ref);
    if (started.value.outcome !== "pending") {
      await wallet.applyProviderFacts(tx.tx_ref, started.value, { via: "create" });
      current = await wallet.getTransaction(tx.tx_ref);
    }
    return finish({ status: 202, body: view(current ?? tx), replayed: false, tx_ref: tx.tx_ref });
  }
  if (started.kind === "refused" || started.kind === "not_found") {
    // One complete sentence, whether or not the provider's message ended with a stop.
    const reason = sentences(spec.refusal.reason(started.message));
    const anomaly = started.kind === "refused" ? started.anomaly : undefined;
    const code = started.kind === "refused" ? started.code : undefined;
    const failed = await wallet.refuse(tx.tx_ref, reason, anomaly ? { kind: anomaly, detail: `${spec.type} refused by the provider (code ${code ?? "?"})` } : undefined);
    if (anomaly) await reportProviderProblem(c, spec.type, anomaly, code);
    const problem = new AppError({
      status: 422,
      code: spec.refusal.code,
      title: spec.refusal.title,
      detail: sentences(reason, "Nothing was taken from your wallet."),
      extra: { tx_ref: tx.tx_ref, transaction_status: failed?.status ?? "FAILED" },
    }).toProblem(c.var.request_id);
    return finish({ status: 422, body: problem, replayed: false });
  }
  // Unknown: the payment may exist. Keep the hold; the reconciler finds out by reference.
  const pending = await wallet.markSubmitUnknown(tx.tx_ref);
  log.warn("held payment outcome unknown; holding and reconciling", { request_id: c.var.request_id, tx_ref: tx.tx_ref, reason: started.reason });
  return finish({ status: 202, body: view(pending ?? tx), replayed: false, tx_ref: tx.tx_ref });
}

/** JSON clients (a JSON body or Accept: application/json) get the answer; form posts from browsers get 303 to the live page. */
function wantsRedirect(c: AppContext): boolean {
  return isFormRequest(c) && !/application\/(problem\+)?json/i.test(c.req.header("accept") ?? "");
}

/**
 * A held payment's HTTP answer: a browser's form post that was accepted is
 * redirected (303, as the FastAPI service did) to the transaction's live
 * status page with a watch ticket; everything else is answered as is.
 */
export async function answerOrRedirect(c: AppContext, user_id: string, answer: HeldAnswer, status_page_path: string): Promise<Response> {
  const tx_ref = answer.tx_ref ?? (answer.body as { tx_ref?: string }).tx_ref;
  if (answer.status === 202 && wantsRedirect(c) && tx_ref) {
    const ticket = await issueWatchTicket(c.var.config, user_id, tx_ref, WATCH_TICKET_TTL_S);
    const location = `${publicApiBase(c, c.var.config)}${status_page_path}/${encodeURIComponent(tx_ref)}?ticket=${encodeURIComponent(ticket)}`;
    return c.redirect(location, 303);
  }
  return respond(c, answer);
}
