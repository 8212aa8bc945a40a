/**
 * What the sandbox's HTTP handlers share: the one sandbox object, the origin a
 * request came in on, and webhook delivery from a request (recorded in the
 * object, kept alive with `waitUntil`).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../lib/http";
import { log } from "../../lib/log";
export { sleep } from "../../lib/time";
import type { ProviderSandbox } from "../durable";
import { SANDBOX_OBJECT_NAME } from "./paths";
import { deliverWebhook, type DeliveryOutcome, type VerifHashChoice, type WebhookDispatch } from "./webhooks";

export type SandboxContext = Context<AppEnv>;

export function sandboxStub(env: Env): DurableObjectStub<ProviderSandbox> {
  // Bound only in development (wrangler.jsonc); app.ts already 404s the sandbox in production.
  if (!env.SANDBOX) throw new Error("the SANDBOX Durable Object is not bound in this environment");
  return env.SANDBOX.getByName(SANDBOX_OBJECT_NAME);
}

/** Hono's own ExecutionContext type, as the Workers type that `callSelf` wants (same object). */
export function executionContextOf(c: SandboxContext): ExecutionContext {
  return c.executionCtx as unknown as ExecutionContext;
}

/** The origin the client used: links handed to a browser and webhooks go back there. */
export function originOf(c: SandboxContext): string {
  return new URL(c.req.url).origin;
}

/**
 * Deliver a webhook and record the attempt. The promise is registered with
 * `waitUntil`, so delivery finishes even if the caller answers first; callers
 * that must not answer before the webhook (the checkout redirect) await it.
 */
export function deliverAndRecord(c: SandboxContext, webhook: WebhookDispatch, choice?: VerifHashChoice): Promise<DeliveryOutcome> {
  const stub = sandboxStub(c.env);
  const done = deliverWebhook(c.env, executionContextOf(c), webhook, c.var.config.FLUTTERWAVE_WEBHOOK_HASH, choice).then(async (outcome) => {
    await stub.recordDelivery(outcome);
    return outcome;
  });
  c.executionCtx.waitUntil(
    done.catch((error: unknown) => log.error("sandbox webhook record failed", { request_id: c.var.request_id, event: webhook.event, error })),
  );
  return done;
}
