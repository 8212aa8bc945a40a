/**
 * Idempotency-Key answers on the route side, shared by every money route
 * (funding, withdrawals, purchases). The Wallet object stores keys and answers
 * (src/durable/wallet/idempotency.ts); this turns what it says into HTTP.
 */
import type { OpenOutcome } from "../durable/wallet/object";
import { sha256Hex } from "../lib/crypto";
import { AppError, errors } from "../lib/errors";
import type { AppContext } from "../lib/http";
import { tierProblem } from "./tier-answers";

/** A route's answer: replayed answers carry `Idempotent-Replayed: true`. */
export type Answer = { status: number; body: unknown; replayed: boolean };

/** The fingerprint ties an Idempotency-Key to one operation and one body. */
export function fingerprint(operation: string, fields: (string | number)[]): string {
  return sha256Hex(`${operation}\n${fields.join("\n")}`);
}

export function respond(_c: AppContext, answer: Answer): Response {
  const headers: Record<string, string> = answer.replayed ? { "idempotent-replayed": "true" } : {};
  const isProblem = answer.status >= 400;
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: {
      "content-type": isProblem ? "application/problem+json" : "application/json",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** Outcomes of the Wallet's open* methods that end the request before any provider call. */
export function earlyAnswer(outcome: OpenOutcome): Answer | null {
  switch (outcome.outcome) {
    case "replay":
      return { status: outcome.answer.status_code, body: outcome.answer.body, replayed: true };
    case "key_mismatch":
      throw errors.unprocessable(
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request body.",
      );
    case "in_flight":
      throw errors.conflict(
        "idempotency_key_in_flight",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
      );
    case "inactive":
      throw errors.unprocessable(
        "wallet_inactive",
        "The wallet is inactive; activate it with POST /wallet/toggle-activity.",
      );
    case "no_wallet":
      throw errors.notFound("No wallet for this user.");
    case "frozen":
      throw new AppError({
        status: 422,
        code: "wallet_frozen",
        title: "Wallet frozen",
        detail: `This wallet is frozen: ${outcome.reason}`,
        extra: { mode: outcome.mode, reason: outcome.reason },
      });
    case "too_many_pending":
      throw new AppError({
        status: 409,
        code: "too_many_pending_fundings",
        title: "Too many pending fundings",
        detail: `This wallet already has ${outcome.pending} pending fundings (at most ${outcome.limit}). Pay one of them, or wait until its checkout expires.`,
        extra: { pending: outcome.pending, limit: outcome.limit },
      });
    case "kyc_required":
    case "tier_limit_exceeded":
    case "tier_balance_cap":
      throw tierProblem(outcome);
    case "opened":
    case "resume":
      return null;
    default: {
      const unreachable: never = outcome;
      throw new Error(`unhandled outcome ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Store the first answer for a key (a replay is already stored). */
export async function storeAnswer(
  c: AppContext,
  user_id: string,
  key: string | undefined,
  answer: Answer,
): Promise<Answer> {
  if (key && !answer.replayed) {
    await c.env.WALLET.getByName(user_id).completeIdempotency(key, {
      status_code: answer.status,
      body: answer.body,
    });
  }
  return answer;
}
