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
import type { z } from "@hono/zod-openapi";
import { fundingDeadline } from "../../domain/transactions";
import type { OpenOutcome, TransactionRecord } from "../../durable/wallet";
import { sha256Hex } from "../../lib/crypto";
import { AppError, errors, type ProblemBody } from "../../lib/errors";
import { type AppContext, executionCtx } from "../../lib/http";
import { newTxRef } from "../../lib/ids";
import { WATCH_TICKET_TTL_S } from "../../lib/limits";
import { log } from "../../lib/log";
import { issueWatchTicket } from "../../lib/tokens";
import { checkoutRedirectUrl, publicApiBase, publicOrigin } from "../../lib/urls";
import { flutterwaveClient } from "../../providers/flutterwave";
import { fundingView, watchView } from "./views";

export type FundInput = { amount: number; currency: string };

export type Answer = { status: number; body: unknown; replayed: boolean };

/** The fingerprint ties an Idempotency-Key to one operation and one body. */
export function fingerprint(operation: string, fields: (string | number)[]): string {
  return sha256Hex(`${operation}\n${fields.join("\n")}`);
}

export function respond(c: AppContext, answer: Answer): Response {
  const headers: Record<string, string> = answer.replayed ? { "idempotent-replayed": "true" } : {};
  const isProblem = answer.status >= 400;
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { "content-type": isProblem ? "application/problem+json" : "application/json", "cache-control": "no-store", ...headers },
  });
}

/** Outcomes of `open*` that end the request before any provider call. */
export function earlyAnswer(outcome: OpenOutcome): Answer | null {
  switch (outcome.outcome) {
    case "replay":
      return { status: outcome.answer.status_code, body: outcome.answer.body, replayed: true };
    case "key_mismatch":
      throw errors.unprocessable("idempotency_key_reused", "This Idempotency-Key was used with a different request body.");
    case "in_flight":
      throw errors.conflict("idempotency_key_in_flight", "A request with this Idempotency-Key is still being processed; retry shortly.");
    case "inactive":
      throw errors.unprocessable("wallet_inactive", "The wallet is inactive; activate it with POST /wallet/toggle-activity.");
    case "no_wallet":
      throw errors.notFound("No wallet for this user.");
    case "opened":
    case "resume":
      return null;
    default: {
      const unreachable: never = outcome;
      throw new Error(`unhandled outcome ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Start a funding and answer with its checkout link and, on 201, how to watch
 * it live (`watch`). The watch part is added to every 201, replays included,
 * and is never stored with the idempotent answer: a credential has no business
 * at rest, and the ticket is derived from the transaction (issued at its
 * creation time), so a replay carries the same ticket as the first answer.
 */
export async function fund(c: AppContext, user_id: string, input: FundInput, idempotency_key: string | undefined): Promise<Answer> {
  const answer = await openAndLink(c, user_id, input, idempotency_key);
  return answer.status === 201 ? withWatch(c, user_id, answer) : answer;
}

async function withWatch(c: AppContext, user_id: string, answer: Answer): Promise<Answer> {
  const body = answer.body as { tx_ref: string };
  const tx = await c.env.WALLET.getByName(user_id).getTransaction(body.tx_ref);
  if (!tx) throw new Error("a 201 funding answer names a transaction its wallet does not hold");
  const ticket = await issueWatchTicket(c.var.config, user_id, tx.tx_ref, WATCH_TICKET_TTL_S, Math.floor(tx.created_at_ms / 1000));
  const url = new URL(`${publicApiBase(c, c.var.config)}/ws/wallet`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("tx_ref", tx.tx_ref);
  return { ...answer, body: { ...body, watch: watchView(url.toString(), ticket) } };
}

async function openAndLink(c: AppContext, user_id: string, input: FundInput, idempotency_key: string | undefined): Promise<Answer> {
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
    deadline_at_ms: fundingDeadline(now_ms, config.FLUTTERWAVE_SESSION_DURATION_MINUTES, config.FLUTTERWAVE_LINK_EXPIRY_MINUTES),
    idempotency: idempotency_key ? { key: idempotency_key, fingerprint: fingerprint("POST /wallet/fund", [input.amount, input.currency]) } : undefined,
  });
  const early = earlyAnswer(opened);
  if (early) return early;
  const tx = (opened as { tx: TransactionRecord }).tx;

  // A resumed key whose transaction already has its answer: give it again.
  if (tx.status !== "PENDING" || tx.payment_link) {
    return finish(c, user_id, idempotency_key, { status: 201, body: fundingView(tx), replayed: opened.outcome === "resume" });
  }

  const ticket = await issueWatchTicket(config, user_id, tx.tx_ref, WATCH_TICKET_TTL_S);
  const redirect = new URL(checkoutRedirectUrl(c, config));
  redirect.searchParams.set("ticket", ticket);
  const flutterwave = flutterwaveClient(c.env, executionCtx(c), config, { origin: publicOrigin(c, config), request_id: c.var.request_id });
  const link = await flutterwave.createPaymentLink({
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
    return finish(c, user_id, idempotency_key, { status: 201, body: fundingView(updated ?? tx), replayed: false });
  }
  if (link.kind === "refused" || link.kind === "not_found") {
    const reason = `Flutterwave refused the checkout: ${link.kind === "refused" ? link.message : link.message}`;
    const failed = await wallet.refuseFunding(tx.tx_ref, reason);
    const problem = new AppError({
      status: 502,
      code: "payment_provider_refused",
      title: "Payment provider refused",
      detail: reason,
      extra: { tx_ref: tx.tx_ref, transaction_status: failed?.status ?? "FAILED" },
    }).toProblem(c.var.request_id);
    return finish(c, user_id, idempotency_key, { status: 502, body: problem, replayed: false });
  }
  // Unknown outcome: the link may exist. Stay PENDING; the reconciler and a retry with the key take over.
  await wallet.markLinkUnknown(tx.tx_ref);
  if (idempotency_key) await wallet.releaseIdempotency(idempotency_key);
  log.warn("funding link outcome unknown", { request_id: c.var.request_id, tx_ref: tx.tx_ref, reason: link.reason });
  const problem: ProblemBody = new AppError({
    status: 503,
    code: "payment_provider_unavailable",
    title: "Payment provider unavailable",
    detail: "Flutterwave did not answer in time. The funding stays pending; retry with the same Idempotency-Key to get its link.",
    extra: { tx_ref: tx.tx_ref, transaction_status: "PENDING" },
    headers: { "retry-after": "5" },
  }).toProblem(c.var.request_id);
  return { status: 503, body: problem, replayed: false };
}

async function finish(c: AppContext, user_id: string, key: string | undefined, answer: Answer): Promise<Answer> {
  if (key && !answer.replayed) {
    await c.env.WALLET.getByName(user_id).completeIdempotency(key, { status_code: answer.status, body: answer.body });
  }
  return answer;
}

