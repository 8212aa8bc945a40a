/**
 * The route side of a held payment (withdrawals and purchases), one
 * orchestration for every flow that moves money out through a provider:
 *
 *   1. answer early from the Idempotency-Key if it already has an answer;
 *   2. prepare (resolve the account, price the product): nothing is held if
 *      this fails;
 *   3. anything the provider's answers will need to find us (a purchase's
 *      request_id -> tx_ref index), stored before anything is held;
 *   4. one wallet call, one storage transaction: active? available >= amount
 *      + fee? place the hold, record the PENDING transaction (invariant 3:
 *      hold first) and claim the submission (compare-and-set, so one tx_ref
 *      is submitted at most once, ever; a resumed payment is claimed by its
 *      own call), then start it at the provider:
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

/**
 * A provider refusal that is our trouble (float, credentials): operators hear
 * of it globally and readiness shows it. In the background: the wallet has
 * already recorded the anomaly, and no global object is on a payment's path.
 */
function reportProviderProblem(
  c: AppContext,
  provider: string,
  anomaly: string,
  code: string | undefined,
): void {
  const report = c.env.OPERATIONS.getByName(OPERATIONS_OBJECT)
    .reportProviderProblem({ provider, kind: anomaly, detail: `code ${code ?? "?"}` })
    .catch((error: unknown) =>
      log.error("could not report a provider problem", {
        request_id: c.var.request_id,
        anomaly,
        error,
      }),
    );
  c.executionCtx.waitUntil(report);
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
  /**
   * Stores what the provider's answers will need to find the payment (a
   * purchase's request_id -> tx_ref), before the submission is claimed;
   * throwing leaves an unclaimed hold that the reconciler voids. For a new
   * payment it runs before the hold, with the tx_ref and provider reference
   * about to be opened, so the hold and the claim are one wallet call (when
   * it throws, the payment is opened unclaimed, as if it had run after the
   * hold; a binding whose hold is then refused names a transaction that
   * never existed, and a callback for it is answered "unknown tx"). For a
   * resumed payment still at hold_placed it runs before the claim, with what
   * was stored.
   */
  before_claim?: (ref: { tx_ref: string; provider_ref: string | null }) => Promise<void>;
  /** The body of a 202 (the transaction, as `transactionView` shows it, unless the flow shows more). */
  view?: (tx: TransactionRecord) => unknown;
  /** How a definite refusal by the provider is answered. */
  refusal: { code: string; title: string; reason: (provider_message: string) => string };
  insufficient_detail: string;
  /**
   * Failed payments a wallet may gather before new ones wait (checked by the
   * wallet in the open's transaction), and the 429 problem's code and words.
   */
  failures?: {
    bound: FailureBound;
    code: string;
    detail: (limit: number, window_ms: number) => string;
  };
};

export async function runHeldPayment<S extends { tx_ref: string }>(
  c: AppContext,
  spec: HeldPaymentSpec<S>,
): Promise<HeldAnswer> {
  const wallet = c.env.WALLET.getByName(spec.user_id);
  const idempotency: IdempotencyInput | undefined =
    spec.idempotency_key && spec.fingerprint
      ? { key: spec.idempotency_key, fingerprint: spec.fingerprint }
      : undefined;
  if (idempotency) {
    const peeked = await wallet.peekIdempotency(idempotency);
    const early = peeked ? earlyAnswer(peeked) : null;
    if (early) return early;
  }

  const prepared = await spec.prepare();
  const tx_ref = newTxRef(spec.type, spec.user_id);
  let unbound: { error: unknown } | null = null;
  if (spec.before_claim) {
    try {
      await spec.before_claim({ tx_ref, provider_ref: prepared.provider_ref ?? null });
    } catch (error) {
      unbound = { error };
    }
  }
  const opened = await wallet.openHeld({
    tx_ref,
    type: spec.type,
    amount_minor: prepared.amount_minor,
    fee_minor: prepared.fee_minor,
    currency: prepared.currency,
    details: prepared.details,
    provider_ref: prepared.provider_ref,
    idempotency,
    failure_bound: spec.failures?.bound,
    tiers: c.var.config.kyc,
    claim: unbound === null,
  });
  if (opened.outcome === "insufficient_funds") {
    throw errors.unprocessable("insufficient_funds", spec.insufficient_detail, {
      available_minor: opened.available_minor,
      required_minor: opened.required_minor,
    });
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
  if (opened.outcome !== "opened" && opened.outcome !== "resume")
    throw new Error(`unexpected open outcome ${opened.outcome}`);
  // Held, unclaimed: the reconciler voids it once the in-flight window has passed.
  if (unbound && opened.outcome === "opened") throw unbound.error;
  const tx = opened.tx;
  const view = spec.view ?? transactionView;
  const finish = (answer: HeldAnswer) =>
    storeAnswer(c, spec.user_id, spec.idempotency_key, answer).then(() => answer);

  // Only the caller that moves the stage from hold_placed to submitting may call
  // the provider: a new payment was claimed by the open itself. A resumed key
  // claims here, or finds it already claimed and answers as it stands.
  if (opened.outcome === "resume") {
    if (spec.before_claim && tx.stage === "hold_placed")
      await spec.before_claim({ tx_ref: tx.tx_ref, provider_ref: tx.provider_ref });
    if (!(await wallet.claimSubmission(tx.tx_ref))) {
      const current = (await wallet.getTransaction(tx.tx_ref)) ?? tx;
      return finish({ status: 202, body: view(current), replayed: true, tx_ref: tx.tx_ref });
    }
  }

  const started = await spec.port.start(prepared.start(tx));
  if (started.ok) {
    // Submitted, settled at once if the answer is final, and read back: one call.
    const current = await wallet.recordAnswer(tx.tx_ref, started.value);
    return finish({ status: 202, body: view(current ?? tx), replayed: false, tx_ref: tx.tx_ref });
  }
  if (started.kind === "refused" || started.kind === "not_found") {
    // One complete sentence, whether or not the provider's message ended with a stop.
    const reason = sentences(spec.refusal.reason(started.message));
    const anomaly = started.kind === "refused" ? started.anomaly : undefined;
    const code = started.kind === "refused" ? started.code : undefined;
    const failed = await wallet.refuse(
      tx.tx_ref,
      reason,
      anomaly
        ? { kind: anomaly, detail: `${spec.type} refused by the provider (code ${code ?? "?"})` }
        : undefined,
    );
    if (anomaly) reportProviderProblem(c, spec.port.name, anomaly, code);
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
  log.warn("held payment outcome unknown; holding and reconciling", {
    request_id: c.var.request_id,
    tx_ref: tx.tx_ref,
    reason: started.reason,
  });
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
export async function answerOrRedirect(
  c: AppContext,
  user_id: string,
  answer: HeldAnswer,
  status_page_path: string,
): Promise<Response> {
  const tx_ref = answer.tx_ref ?? (answer.body as { tx_ref?: string }).tx_ref;
  if (answer.status === 202 && wantsRedirect(c) && tx_ref) {
    const ticket = await issueWatchTicket(c.var.config, user_id, tx_ref, WATCH_TICKET_TTL_S);
    const location = `${publicApiBase(c, c.var.config)}${status_page_path}/${encodeURIComponent(tx_ref)}?ticket=${encodeURIComponent(ticket)}`;
    return c.redirect(location, 303);
  }
  return respond(c, answer);
}
