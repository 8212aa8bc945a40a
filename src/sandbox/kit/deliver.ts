/**
 * Webhook delivery, the way providers do it: a JSON POST of the event to the
 * merchant's URL. The sandbox dispatches in-process through `callSelf`
 * (src/lib/self.ts), so deliveries need no network and no port, yet pass
 * through the whole middleware stack like a real one.
 *
 * Delivery never throws: every attempt ends as an outcome (a status code or an
 * error) that the caller records in its look-alike's object. The answer's body
 * is ignored, as Flutterwave ignores it; VTpass reads it, so a caller may pass
 * `judge` to turn an answer it does not accept into the outcome's `error`.
 * Nothing is retried here: retries are the look-alike's own schedule.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../lib/http";
import { log } from "../../lib/log";
import { callSelf } from "../../lib/self";
import { DELIVERY_ANSWER_MAX_CHARS, WEBHOOK_TIMEOUT_MS } from "./limits";
import type { DeliveryOutcome } from "./object";

/** What a look-alike hands out for delivery: the event already rendered. */
export type WebhookDispatch = {
  event: string;
  /** The reference the event is about. */
  ref: string;
  url: string;
  body: string;
};

export type DeliveryCredential = {
  kind: DeliveryOutcome["verif_hash"];
  headers: Record<string, string>;
};

/** Why an answer does not count as received (null: it does), from its status and body. */
export type AnswerJudge = (status_code: number, body_text: string) => string | null;

export async function deliverWebhook(
  env: Env,
  ctx: ExecutionContext,
  dispatch: WebhookDispatch,
  credential: DeliveryCredential,
  user_agent: string,
  judge?: AnswerJudge,
): Promise<DeliveryOutcome> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": user_agent,
    ...credential.headers,
  };
  const request = new Request(dispatch.url, { method: "POST", headers, body: dispatch.body });
  const at_ms = Date.now();
  const base = {
    event: dispatch.event,
    ref: dispatch.ref,
    url: dispatch.url,
    verif_hash: credential.kind,
    body: dispatch.body,
    at_ms,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), WEBHOOK_TIMEOUT_MS);
    });
    const answer = await Promise.race([callSelf(request, env, ctx), timeout]);
    if (answer === "timeout")
      return { ...base, status_code: null, error: `no answer within ${WEBHOOK_TIMEOUT_MS} ms` };
    if (!judge) {
      // Drain the body so the stream closes.
      await answer.arrayBuffer().catch(() => undefined);
      return { ...base, status_code: answer.status, error: null };
    }
    const text = await answer.text().catch(() => "");
    return {
      ...base,
      status_code: answer.status,
      error: judge(answer.status, text.slice(0, DELIVERY_ANSWER_MAX_CHARS)),
    };
  } catch (error) {
    return {
      ...base,
      status_code: null,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Hono's own ExecutionContext type, as the Workers type that `callSelf` wants (same object). */
export function executionContextOf(c: Context<AppEnv>): ExecutionContext {
  return c.executionCtx as unknown as ExecutionContext;
}

/** The origin the client used: links handed to a browser and webhooks go back there. */
export function originOf(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}

/**
 * Deliver a webhook from a request and record the attempt in the look-alike's
 * object. The promise is registered with `waitUntil`, so delivery finishes
 * even if the caller answers first; callers that must not answer before the
 * webhook (a checkout redirect) await it.
 */
export function deliverAndRecord(
  c: Context<AppEnv>,
  recorder: { recordDelivery(outcome: DeliveryOutcome): Promise<void> },
  webhook: WebhookDispatch,
  credential: DeliveryCredential,
  user_agent: string,
  judge?: AnswerJudge,
): Promise<DeliveryOutcome> {
  const done = deliverWebhook(
    c.env,
    executionContextOf(c),
    webhook,
    credential,
    user_agent,
    judge,
  ).then(async (outcome) => {
    await recorder.recordDelivery(outcome);
    return outcome;
  });
  c.executionCtx.waitUntil(
    done.catch((error: unknown) =>
      log.error("sandbox webhook record failed", {
        request_id: c.var.request_id,
        event: webhook.event,
        error,
      }),
    ),
  );
  return done;
}
