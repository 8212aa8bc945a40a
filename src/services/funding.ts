/**
 * POST /wallet/fund: open a PENDING funding, then ask Flutterwave for a hosted
 * checkout link.
 *
 * Order matters: the transaction is recorded (with its idempotency key) before
 * the provider is called, so a crash after the call leaves a PENDING funding
 * that the reconciler settles, never an untracked payment. Outcomes:
 *   link created       -> 201, answer stored for the key
 *   provider refused   -> FAILED with the reason, 502, answer stored
 *   provider unknown   -> stays PENDING (reconciler), 503, key released so a
 *                         retry with the same key resumes the same tx_ref
 */
import { fundingDeadline } from "../domain/transactions";
import { AppError, errors, type ProblemBody } from "../lib/errors";
import { type AppContext, executionCtx } from "../lib/http";
import { newTxRef } from "../lib/ids";
import { earlyAnswer, fingerprint, storeAnswer, type Answer } from "./idempotency";
import { PROVIDER_UNAVAILABLE_RETRY_AFTER_S, WATCH_TICKET_TTL_S } from "../lib/limits";
import { log } from "../lib/log";
import { issueWatchTicket } from "../lib/tokens";
import { checkoutRedirectUrl, publicOrigin } from "../lib/urls";
import { fundingView } from "./views";
import { withWatch } from "./watch";
import { checkoutPort } from "../providers/index";

export type FundInput = { amount: number; currency: string };

/**
 * Start a funding and answer with its checkout link and, on 201, how to watch
 * it live (`watch`, added to every 201, replays included, never stored).
 */
export async function fund(
  c: AppContext,
  user_id: string,
  input: FundInput,
  idempotency_key: string | undefined,
): Promise<Answer> {
  const answer = await openAndLink(c, user_id, input, idempotency_key);
  return answer.status === 201 ? withWatch(c, user_id, answer) : answer;
}

async function openAndLink(
  c: AppContext,
  user_id: string,
  input: FundInput,
  idempotency_key: string | undefined,
): Promise<Answer> {
  const config = c.var.config;
  const wallet = c.env.WALLET.getByName(user_id);
  const profile = await wallet.profile();
  if (!profile) throw errors.notFound("No wallet for this user.");

  const now_ms = Date.now();
  const tx_ref = newTxRef("FUND", user_id, now_ms);
  const opened = await wallet.openFunding({
    tx_ref,
    amount_minor: input.amount,
    currency: input.currency,
    deadline_at_ms: fundingDeadline(
      now_ms,
      config.FLUTTERWAVE_SESSION_DURATION_MINUTES,
      config.FLUTTERWAVE_LINK_EXPIRY_MINUTES,
    ),
    pending_max: config.FUND_PENDING_MAX,
    tiers: config.kyc,
    idempotency: idempotency_key
      ? {
          key: idempotency_key,
          fingerprint: fingerprint("POST /wallet/fund", [input.amount, input.currency]),
        }
      : undefined,
  });
  const early = earlyAnswer(opened);
  if (early) return early;
  if (opened.outcome !== "opened" && opened.outcome !== "resume")
    throw new Error(`unexpected open outcome ${opened.outcome}`);
  const tx = opened.tx;

  // A resumed key whose transaction already has its answer: give it again.
  if (tx.status !== "PENDING" || tx.payment_link) {
    return storeAnswer(c, user_id, idempotency_key, {
      status: 201,
      body: fundingView(tx),
      replayed: opened.outcome === "resume",
    });
  }

  const ticket = await issueWatchTicket(config, user_id, tx.tx_ref, WATCH_TICKET_TTL_S);
  const redirect = new URL(checkoutRedirectUrl(c, config));
  redirect.searchParams.set("ticket", ticket);
  const checkout = checkoutPort({
    env: c.env,
    ctx: executionCtx(c),
    config,
    origin: publicOrigin(c, config),
    request_id: c.var.request_id,
  });
  const link = await checkout.start({
    tx_ref: tx.tx_ref,
    amount_minor: tx.amount_minor,
    currency: tx.currency,
    redirect_url: redirect.toString(),
    customer: { email: profile.email, name: profile.full_name },
    session_duration_minutes: config.FLUTTERWAVE_SESSION_DURATION_MINUTES,
    link_expiry_minutes: config.FLUTTERWAVE_LINK_EXPIRY_MINUTES,
    title: config.APP_NAME,
    meta: { user_id },
  });

  if (link.ok) {
    const updated = await wallet.attachPaymentLink(tx.tx_ref, link.value.link);
    return storeAnswer(c, user_id, idempotency_key, {
      status: 201,
      body: fundingView(updated ?? tx),
      replayed: false,
    });
  }
  if (link.kind === "refused" || link.kind === "not_found") {
    const reason = `Flutterwave refused the checkout: ${link.message}`;
    const failed = await wallet.refuse(tx.tx_ref, reason);
    const problem = new AppError({
      status: 502,
      code: "payment_provider_refused",
      title: "Payment provider refused",
      detail: reason,
      extra: { tx_ref: tx.tx_ref, transaction_status: failed?.status ?? "FAILED" },
    }).toProblem(c.var.request_id);
    return storeAnswer(c, user_id, idempotency_key, {
      status: 502,
      body: problem,
      replayed: false,
    });
  }
  // Unknown outcome: the link may exist. Stay PENDING; the reconciler and a retry with the key take over.
  await wallet.markLinkUnknown(tx.tx_ref);
  if (idempotency_key) await wallet.releaseIdempotency(idempotency_key);
  log.warn("funding link outcome unknown", {
    request_id: c.var.request_id,
    tx_ref: tx.tx_ref,
    reason: link.reason,
  });
  const problem: ProblemBody = new AppError({
    status: 503,
    code: "payment_provider_unavailable",
    title: "Payment provider unavailable",
    detail:
      "Flutterwave did not answer in time. The funding stays pending; retry with the same Idempotency-Key to get its link.",
    extra: { tx_ref: tx.tx_ref, transaction_status: "PENDING" },
    headers: { "retry-after": String(PROVIDER_UNAVAILABLE_RETRY_AFTER_S) },
  }).toProblem(c.var.request_id);
  return { status: 503, body: problem, replayed: false };
}
