/**
 * A scheduled top-up's run, from the queue's consumer (src/queue/consumer.ts,
 * message `schedule.run`): the Wallet recorded the run and its order
 * (src/durable/wallet/schedules.ts); this places the order as an ordinary
 * held payment (./orders.ts placeOrder) under the run's Idempotency-Key, and
 * reports the outcome back to the Wallet.
 *
 *  - placed (202, or an answer naming its transaction): `submitted` with its
 *    tx_ref. A purchase the provider later FAILED is such a run: its
 *    transaction says FAILED, the run is not a skip.
 *  - refused before anything was held, with a problem code that means "this
 *    run cannot go" (src/domain/schedules.ts SKIP_CODES: balance, tier
 *    limit, frozen or inactive wallet, a product gone...): `skipped` with the
 *    code and its words.
 *  - anything else (a provider or catalogue that cannot answer now, the key
 *    in flight by a doubled message): retried by the queue; the Wallet's alarm
 *    also sends the run again until its outcome is recorded.
 *
 * The route's per-user attempt limiter is a route's: it does not apply here.
 */
import { isSkip } from "../domain/schedules";
import type { RunOutcome } from "../durable/wallet/schedules";
import { AppError } from "../lib/errors";
import { log } from "../lib/log";
import { backgroundContext } from "./background-context";
import { placeOrder } from "./orders";

export type ScheduledRunResult = { action: "ack" | "retry"; note: string; tx_ref?: string };

type RunMessage = { request_id: string; user_id: string; schedule_id: string; period: string };

function txRefOf(body: unknown): string | null {
  if (body && typeof body === "object" && "tx_ref" in body) {
    const tx_ref = (body as { tx_ref: unknown }).tx_ref;
    if (typeof tx_ref === "string") return tx_ref;
  }
  return null;
}

function problemOf(body: unknown): { code: string; detail: string } | null {
  if (!body || typeof body !== "object" || !("code" in body)) return null;
  const b = body as { code: unknown; detail?: unknown; title?: unknown };
  if (typeof b.code !== "string") return null;
  const words =
    typeof b.detail === "string" ? b.detail : typeof b.title === "string" ? b.title : "";
  return { code: b.code, detail: words };
}

export async function runScheduled(
  env: Env,
  ctx: ExecutionContext,
  message: RunMessage,
): Promise<ScheduledRunResult> {
  const wallet = env.WALLET.getByName(message.user_id);
  const run = await wallet.scheduleRunToPlace(message.schedule_id, message.period);
  if (!run) return { action: "ack", note: "schedule run already has its outcome (or is gone)" };
  const report = async (outcome: RunOutcome, note: string): Promise<ScheduledRunResult> => {
    await wallet.recordScheduleRun(message.schedule_id, message.period, outcome);
    log.info("scheduled run recorded", {
      request_id: message.request_id,
      schedule_id: message.schedule_id,
      period: message.period,
      outcome: outcome.kind,
      code: outcome.kind === "skipped" ? outcome.code : undefined,
    });
    return {
      action: "ack",
      note,
      tx_ref: outcome.kind === "submitted" ? outcome.tx_ref : undefined,
    };
  };
  if (!run.order)
    return report(
      {
        kind: "skipped",
        code: "beneficiary_not_found",
        reason: "The schedule's recipient is gone or cannot receive this product.",
      },
      "schedule run skipped: no order",
    );
  const c = backgroundContext(env, ctx, message.request_id);
  let answer: Awaited<ReturnType<typeof placeOrder>>;
  try {
    answer = await placeOrder(c, message.user_id, run.order, run.idempotency_key);
  } catch (error) {
    if (error instanceof AppError && isSkip(error.code))
      return report(
        { kind: "skipped", code: error.code, reason: error.detail ?? error.title },
        `schedule run skipped: ${error.code}`,
      );
    log.warn("scheduled run not placed; retried", {
      request_id: message.request_id,
      schedule_id: message.schedule_id,
      code: error instanceof AppError ? error.code : undefined,
      error,
    });
    return { action: "retry", note: "schedule run not placed" };
  }
  const tx_ref = answer.tx_ref ?? txRefOf(answer.body);
  if (tx_ref) return report({ kind: "submitted", tx_ref }, "schedule run placed");
  // A stored refusal replayed under the run's key (no transaction): skip or retry by its code.
  const problem = problemOf(answer.body);
  if (problem && isSkip(problem.code))
    return report(
      { kind: "skipped", code: problem.code, reason: problem.detail },
      `schedule run skipped: ${problem.code}`,
    );
  return { action: "retry", note: `schedule run answered ${answer.status} without a transaction` };
}
